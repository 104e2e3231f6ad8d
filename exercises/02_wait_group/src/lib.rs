//! Exercise 02: a wait group, to wait for a known number of tasks.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check wait_group`.

/// Go's sync.WaitGroup. Send + Sync + Default.
// TODO: choose the fields. The group must be shareable between threads (put
// it in an `Arc`, or borrow it from `std::thread::scope`), so every method
// takes `&self`.
#[derive(Default)]
pub struct WaitGroup {
    _private: (),
}

impl WaitGroup {
    /// A group with nothing to wait for.
    pub fn new() -> Self {
        // TODO: start with a counter of zero.
        todo!()
    }

    /// Adds `n` to the counter.
    pub fn add(&self, n: usize) {
        // TODO
        let _ = n;
        todo!()
    }

    /// Subtracts one. Panics with a message containing
    /// "negative WaitGroup counter" if the counter is already zero.
    pub fn done(&self) {
        // TODO: when the counter reaches zero, wake every waiting thread.
        todo!()
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        // TODO: sleep (do not loop on the CPU) until the counter is zero.
        todo!()
    }
}
