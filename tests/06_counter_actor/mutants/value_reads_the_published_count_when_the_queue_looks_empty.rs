//! MUTANT: value() skips the round trip when the queue is empty and reads a count the owner publishes after counting, so an increment the owner has taken out of the queue but not yet counted is missed.
//! CATEGORY: order

use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    Value(Sender<usize>),
}

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    requests: Sender<Request>,
    // The owner copies its count here after every increment, so that
    // value() can skip the round trip when there is nothing left to count.
    published: Arc<AtomicUsize>,
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.requests.send(Request::Increment).expect("the counter's owner thread has stopped");
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        // "Nothing is waiting in the queue, so the owner has counted every
        // increment and the published count is up to date."
        if self.requests.is_empty() {
            return self.published.load(Ordering::SeqCst);
        }
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        self.requests.send(Request::Value(reply_tx)).expect("the counter's owner thread has stopped");
        reply_rx.recv().expect("the counter's owner thread stopped without answering")
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (requests, inbox) = crossbeam_channel::unbounded();
    let published = Arc::new(AtomicUsize::new(0));
    let shared = published.clone();
    let owner = thread::spawn(move || own_the_count(inbox, &shared));
    (CounterHandle { requests, published }, owner)
}

fn own_the_count(inbox: Receiver<Request>, published: &AtomicUsize) -> usize {
    let mut count = 0;
    for request in inbox {
        match request {
            Request::Increment => {
                count += 1;
                published.store(count, Ordering::SeqCst);
            }
            Request::Value(reply) => {
                let _ = reply.send(count);
            }
        }
    }
    count
}
