//! MUTANT: the owner also selects on a "shutdown" channel that closes when the last handle goes, and returns as soon as it sees that, with increments still queued.
//! CATEGORY: order

use crossbeam_channel::{Receiver, Sender, select};
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    Value(Sender<usize>),
}

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    requests: Sender<Request>,
    // Never sent on: it disconnects when the last handle is dropped, which
    // is the owner's signal to stop.
    _alive: Sender<()>,
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
    let (alive, shutdown) = crossbeam_channel::bounded(0);
    let owner = thread::spawn(move || run(inbox, shutdown));
    (CounterHandle { requests, _alive: alive }, owner)
}

fn run(inbox: Receiver<Request>, shutdown: Receiver<()>) -> usize {
    let mut count = 0;
    loop {
        select! {
            recv(inbox) -> msg => match msg {
                Ok(Request::Increment) => count += 1,
                Ok(Request::Value(reply)) => { let _ = reply.send(count); }
                Err(_) => return count,
            },
            // Every handle is gone: stop.
            recv(shutdown) -> _ => return count,
        }
    }
}
