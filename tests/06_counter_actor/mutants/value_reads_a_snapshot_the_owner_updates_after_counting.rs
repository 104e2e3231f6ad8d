//! MUTANT: value() reads a shared copy of the count that the owner updates after it counts, so it can miss this handle's increments still in the queue.
//! CATEGORY: order

use crossbeam_channel::Sender;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    increments: Sender<()>,
    // Saves value() a round trip: the owner publishes the count here.
    published: Arc<AtomicUsize>,
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.increments.send(()).unwrap();
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        self.published.load(Ordering::SeqCst)
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (tx, rx) = crossbeam_channel::unbounded::<()>();
    let published = Arc::new(AtomicUsize::new(0));
    let shared = published.clone();
    let owner = thread::spawn(move || {
        let mut count = 0;
        for () in rx {
            count += 1;
            shared.store(count, Ordering::SeqCst);
        }
        count
    });
    (CounterHandle { increments: tx, published }, owner)
}
