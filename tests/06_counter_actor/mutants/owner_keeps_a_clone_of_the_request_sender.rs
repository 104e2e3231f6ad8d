//! MUTANT: the owner thread keeps a clone of the request Sender for itself, so its channel never disconnects and it never ends.
//! CATEGORY: leaked_thread

use crossbeam_channel::{Receiver, Sender};
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
    let (tx, rx) = crossbeam_channel::unbounded();
    // "The owner might need to talk to itself one day": it keeps a Sender,
    // and so the channel always has one.
    let own_sender = tx.clone();
    let owner = thread::spawn(move || run(rx, own_sender));
    (CounterHandle { requests: tx }, owner)
}

fn run(rx: Receiver<Request>, _own_sender: Sender<Request>) -> usize {
    let mut count = 0;
    for request in rx.iter() {
        match request {
            Request::Increment => count += 1,
            Request::Value(reply) => {
                let _ = reply.send(count);
            }
        }
    }
    count
}
