//! MUTANT: a correct counter, but owned by a thread that answers messages over a channel, which this exercise forbids: only the rule test can tell.
//! CATEGORY: forbidden_construct

use crossbeam_channel::{Sender, bounded, unbounded};
use std::thread;

/// What a call asks of the owner thread, with where to send the answer.
enum Request {
    Add(usize, Sender<()>),
    Value(Sender<usize>),
    IncrementBelow(usize, Sender<bool>),
}

/// A counter shared between threads, built on atomics (no lock of any kind).
/// Send + Sync + Default.
pub struct AtomicCounter {
    requests: Sender<Request>,
}

impl Default for AtomicCounter {
    fn default() -> Self {
        let (requests, inbox) = unbounded::<Request>();
        // The owner ends when the counter (the only sender) is dropped.
        thread::spawn(move || {
            let mut n = 0_usize;
            for request in inbox {
                match request {
                    Request::Add(k, done) => {
                        n += k;
                        let _ = done.send(());
                    }
                    Request::Value(reply) => {
                        let _ = reply.send(n);
                    }
                    Request::IncrementBelow(limit, reply) => {
                        let below = n < limit;
                        if below {
                            n += 1;
                        }
                        let _ = reply.send(below);
                    }
                }
            }
        });
        AtomicCounter { requests }
    }
}

impl AtomicCounter {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends a request and waits for its answer.
    fn ask<T>(&self, request: impl FnOnce(Sender<T>) -> Request) -> T {
        let (reply, answer) = bounded(1);
        self.requests.send(request(reply)).expect("the owner thread ended");
        answer.recv().expect("the owner thread ended")
    }

    /// Adds one.
    pub fn increment(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        self.ask(|done| Request::Add(n, done));
    }

    /// The current value.
    pub fn value(&self) -> usize {
        self.ask(Request::Value)
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        self.ask(|reply| Request::IncrementBelow(limit, reply))
    }
}
