//! MUTANT: Clone is written by hand and starts a new counter, so increments made through a clone never reach the original owner.
//! CATEGORY: wrong_result

use crossbeam_channel::Sender;
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    Value(Sender<usize>),
}

/// One owner thread holds the count; handles send it messages.
pub struct CounterHandle {
    requests: Sender<Request>,
}

impl Clone for CounterHandle {
    fn clone(&self) -> Self {
        // "Each handle gets a counter of its own."
        spawn_counter().0
    }
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.requests.send(Request::Increment).unwrap();
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.requests.send(Request::Value(tx)).unwrap();
        rx.recv().unwrap()
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (requests, inbox) = crossbeam_channel::unbounded();
    let owner = thread::spawn(move || {
        let mut count = 0;
        for request in inbox {
            match request {
                Request::Increment => count += 1,
                Request::Value(reply) => {
                    let _ = reply.send(count);
                }
            }
        }
        count
    });
    (CounterHandle { requests }, owner)
}
