//! Exercise 04: a counter that many threads share, guarded by a Mutex.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check counter`.

// TODO: you will need `std::sync::Mutex`.

/// A counter shared between threads, guarded by a Mutex. Send + Sync + Default.
// TODO: `Default` must give a counter at 0; deriving it is one way.
#[derive(Default)]
pub struct Counter {
    // TODO: replace this placeholder with the state the counter needs: the
    // number, and the lock that guards it (a Mutex can hold its data inside).
    _private: (),
}

impl Counter {
    /// A counter at 0.
    pub fn new() -> Self {
        // TODO
        todo!()
    }

    /// Adds one.
    pub fn increment(&self) {
        // TODO: reading the number and writing it back must be one step that
        // no other thread can cut in two.
        todo!()
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        // TODO
        let _ = n;
        todo!()
    }

    /// The current value.
    pub fn value(&self) -> usize {
        // TODO
        todo!()
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        // TODO: no other thread may change the value between your check and
        // your increment.
        let _ = limit;
        todo!()
    }
}
