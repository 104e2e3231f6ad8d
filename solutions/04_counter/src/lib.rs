//! Exercise 04: a counter that many threads share, guarded by a Mutex.
//!
//! Reference solution. Every method takes the lock once and does all of its
//! work while it holds the guard, so no other thread can see or change the
//! number half-way through an operation.

use std::sync::{Mutex, MutexGuard};

/// A counter shared between threads, guarded by a Mutex. Send + Sync + Default.
///
/// The number lives *inside* the Mutex: there is no way to reach it except
/// through a `MutexGuard`, so forgetting to lock is a compile error, not a
/// race. `Mutex<usize>` is `Send + Sync` and `Default` (a zero inside an
/// unlocked lock), so deriving `Default` and the auto traits do the rest.
#[derive(Debug, Default)]
pub struct Counter {
    n: Mutex<usize>,
}

impl Counter {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the number. A thread that panicked while holding the lock
    /// "poisons" it; every method here leaves the number consistent before
    /// anything that could panic, so the value is still good and we carry on
    /// with it rather than turning one panic into a panic in every thread.
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.n.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds one.
    pub fn increment(&self) {
        // `+= 1` is a read, an add and a write. The guard lives until the end
        // of the statement, so all three happen under one lock acquisition.
        *self.lock() += 1;
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        *self.lock() += n;
    }

    /// The current value.
    pub fn value(&self) -> usize {
        // The guard is dropped at the end of this statement: the caller gets
        // a copy, which may be out of date as soon as another thread moves,
        // and that is why a caller must not check `value()` and then act.
        *self.lock()
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        // One guard for both the check and the write: while we hold it no
        // other thread can slip an increment in between, so two threads can
        // never both see `limit - 1` and both go ahead.
        let mut n = self.lock();
        if *n < limit {
            *n += 1;
            true
        } else {
            false
        }
    }
}
