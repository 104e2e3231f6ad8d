//! Exercise 06: one thread owns the count; handles send it messages.
//!
//! Reference solution. Nobody shares the number: it is a local variable of
//! the owner thread, and the only way to reach it is to put a message in the
//! owner's one queue. Three facts of that queue carry the whole design:
//!
//! * it is first in, first out, and one thread's sends are queued in the
//!   order it made them, so a `Value` request is answered only after every
//!   `Increment` this handle sent before it;
//! * `recv` blocks while the queue is empty, so an idle owner costs nothing;
//! * `recv` fails only once every `Sender` is gone *and* the queue is empty,
//!   so the owner's loop ends exactly when the last handle is dropped, after
//!   it has counted everything that was sent.

use crossbeam_channel::{Receiver, Sender};
use std::thread::{self, JoinHandle};

/// What a handle can ask the owner. One enum on one channel, not a channel
/// per kind of request: two channels are two queues, and nothing orders a
/// message in one against a message in the other.
enum Request {
    /// Add one to the count.
    Increment,
    /// Send the count back on this one-shot channel.
    Value(Sender<usize>),
}

/// One owner thread holds the count; handles send it messages.
///
/// A handle is just a `Sender` of the owner's queue: cloning it clones the
/// `Sender` (every clone feeds the same owner), and dropping it drops one.
/// `Sender<Request>` is `Send`, so the handle is too.
#[derive(Clone)]
pub struct CounterHandle {
    requests: Sender<Request>,
}

impl CounterHandle {
    /// Adds one. Does not wait for the owner: the message is queued and the
    /// call returns.
    pub fn increment(&self) {
        // The send can only fail if the owner thread is gone, and it lives
        // as long as any handle (this one included) does.
        self.requests.send(Request::Increment).expect("the counter's owner thread has stopped");
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        // A fresh channel for this one answer. The owner gets its Sender
        // inside the request; we keep the Receiver and wait on it. Capacity 1
        // lets the owner drop the answer in and go on at once.
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        self.requests.send(Request::Value(reply_tx)).expect("the counter's owner thread has stopped");
        // The request went into the same queue, behind every Increment this
        // handle sent before, so the owner has counted them all by the time
        // it reads this request and answers.
        reply_rx.recv().expect("the counter's owner thread stopped without answering")
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (requests, inbox) = crossbeam_channel::unbounded();
    // Only the Receiver moves into the owner. Had the owner kept a Sender
    // too (a clone "to be safe", or one stored in a static), the channel
    // could never disconnect and the loop below would wait forever.
    let owner = thread::spawn(move || own_the_count(inbox));
    (CounterHandle { requests }, owner)
}

/// The owner thread's whole life.
fn own_the_count(inbox: Receiver<Request>) -> usize {
    let mut count = 0;
    // Iterating a Receiver calls `recv` until it fails, which is once every
    // Sender has been dropped and every queued message has been taken: the
    // increments still in the queue when the last handle went are counted.
    for request in inbox {
        match request {
            Request::Increment => count += 1,
            // The asker may have given up (its thread panicked, say), which
            // drops the reply Receiver; that is no reason to stop counting.
            Request::Value(reply) => {
                let _ = reply.send(count);
            }
        }
    }
    count
}
