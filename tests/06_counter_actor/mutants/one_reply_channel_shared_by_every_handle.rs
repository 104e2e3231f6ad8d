//! MUTANT: one reply channel is made in spawn_counter and shared by every clone, so concurrent value() calls can take each other's answers.
//! CATEGORY: order

use crossbeam_channel::{Receiver, Sender};
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    Value,
}

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    requests: Sender<Request>,
    // Made once, so value() does not need a new channel every time.
    replies: Receiver<usize>,
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.requests.send(Request::Increment).unwrap();
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        self.requests.send(Request::Value).unwrap();
        self.replies.recv().unwrap()
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (requests, inbox) = crossbeam_channel::unbounded();
    let (answers, replies) = crossbeam_channel::unbounded();
    let owner = thread::spawn(move || {
        let mut count = 0;
        for request in inbox {
            match request {
                Request::Increment => count += 1,
                Request::Value => {
                    let _ = answers.send(count);
                }
            }
        }
        count
    });
    (CounterHandle { requests, replies }, owner)
}
