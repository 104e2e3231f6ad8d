//! Exercise 05: the shared counter of exercise 04, built on atomics.
//!
//! Read `README.md` in this folder first. Then run
//! `cargo xtask check atomic_counter`.
//!
//! The rule of this exercise: no lock and no channel of any kind (no Mutex,
//! RwLock, Condvar, mpsc or crossbeam_channel), here or anywhere under
//! `src/`. Only atomics.

// TODO: you will need `std::sync::atomic::{AtomicUsize, Ordering}`.

/// A counter shared between threads, built on atomics (no lock of any kind).
/// Send + Sync + Default.
// TODO: `Default` must give a counter at 0; deriving it is one way.
#[derive(Default)]
pub struct AtomicCounter {
    // TODO: replace this placeholder with the number, held in an atomic.
    _private: (),
}

impl AtomicCounter {
    /// A counter at 0.
    pub fn new() -> Self {
        // TODO
        todo!()
    }

    /// Adds one.
    pub fn increment(&self) {
        // TODO: one atomic read-modify-write, not a load followed by a store.
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
        // TODO: the increment must happen only if the value is still the one
        // you checked; if another thread changed it first, decide again.
        let _ = limit;
        todo!()
    }
}
