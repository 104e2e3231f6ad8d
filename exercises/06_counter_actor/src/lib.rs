//! Exercise 06: one thread owns the count; handles send it messages.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check counter_actor`.

// TODO: you will need a channel (`crossbeam_channel`, or `std::sync::mpsc`)
// and `std::thread`.

/// One owner thread holds the count; handles send it messages.
// TODO: the handle must be Clone and Send; deriving Clone works once every
// field is Clone.
#[derive(Clone)]
pub struct CounterHandle {
    // TODO: replace this placeholder with what a handle needs to talk to the
    // owner thread. The count itself does not belong here.
    _private: (),
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        // TODO: tell the owner.
        todo!()
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        // TODO: ask the owner, and wait for its answer. The answer must come
        // after every increment this handle sent before the question.
        todo!()
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, std::thread::JoinHandle<usize>) {
    // TODO: make the channel, start the owner thread with the count as a
    // local variable of its own, and hand back one handle. The owner's loop
    // must end once every handle is gone, so nothing but the handles may
    // hold on to a way of sending to it.
    todo!()
}
