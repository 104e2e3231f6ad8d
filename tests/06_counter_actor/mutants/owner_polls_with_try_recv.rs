//! MUTANT: the owner polls its channel with try_recv and yield_now instead of blocking in recv, so an idle counter burns a core.
//! CATEGORY: busy_wait

use crossbeam_channel::{Sender, TryRecvError};
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    Value(Sender<usize>),
}

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    requests: Sender<Request>,
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
        loop {
            match inbox.try_recv() {
                Ok(Request::Increment) => count += 1,
                Ok(Request::Value(reply)) => {
                    let _ = reply.send(count);
                }
                Err(TryRecvError::Empty) => thread::yield_now(),
                Err(TryRecvError::Disconnected) => return count,
            }
        }
    });
    (CounterHandle { requests }, owner)
}
