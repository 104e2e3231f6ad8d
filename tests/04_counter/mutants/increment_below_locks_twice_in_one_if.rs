//! MUTANT: increment_below checks `*self.lock() < limit` in the if condition, whose guard is dropped before the block, and locks again to increment: a check-then-act whose window is a single branch.
//! CATEGORY: check_then_act

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
        // The guard made in the condition is dropped when the condition
        // ends, before the block runs: the increment takes the lock again.
        if *self.lock() < limit {
            *self.lock() += 1;
            true
        } else {
            false
        }
    }
}
