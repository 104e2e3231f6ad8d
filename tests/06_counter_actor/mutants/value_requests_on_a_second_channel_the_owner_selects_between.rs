//! MUTANT: increments and value requests travel on two channels the owner select!s between, so a request can be answered before an increment sent ahead of it.
//! CATEGORY: order

use crossbeam_channel::{Receiver, Sender, never, select};
use std::thread::{self, JoinHandle};

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    increments: Sender<()>,
    requests: Sender<Sender<usize>>,
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.increments.send(()).unwrap();
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.requests.send(tx).unwrap();
        rx.recv().unwrap()
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (inc_tx, inc_rx) = crossbeam_channel::unbounded();
    let (req_tx, req_rx) = crossbeam_channel::unbounded();
    let owner = thread::spawn(move || run(inc_rx, req_rx));
    (CounterHandle { increments: inc_tx, requests: req_tx }, owner)
}

fn run(increments: Receiver<()>, requests: Receiver<Sender<usize>>) -> usize {
    let mut count = 0;
    let (mut increments, mut requests) = (Some(increments), Some(requests));
    while increments.is_some() || requests.is_some() {
        // A channel that has disconnected is swapped for one that never
        // delivers, so select! stops picking it.
        let inc = increments.clone().unwrap_or_else(never);
        let req = requests.clone().unwrap_or_else(never);
        select! {
            recv(inc) -> msg => match msg {
                Ok(()) => count += 1,
                Err(_) => increments = None,
            },
            recv(req) -> msg => match msg {
                Ok(reply) => { let _ = reply.send(count); }
                Err(_) => requests = None,
            },
        }
    }
    count
}
