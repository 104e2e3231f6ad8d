//! MUTANT: Drop of every handle sends the owner a Stop message, so the owner ends when the first clone is dropped while others still need it.
//! CATEGORY: wrong_result

use crossbeam_channel::Sender;
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    Value(Sender<usize>),
    Stop,
}

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    requests: Sender<Request>,
}

impl Drop for CounterHandle {
    fn drop(&mut self) {
        // Tell the owner we are done so that it can return the count.
        let _ = self.requests.send(Request::Stop);
    }
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.requests.send(Request::Increment).expect("the counter has stopped");
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.requests.send(Request::Value(tx)).expect("the counter has stopped");
        rx.recv().expect("the counter has stopped")
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
                Request::Stop => break,
            }
        }
        count
    });
    (CounterHandle { requests }, owner)
}
