//! MUTANT: increment_below checks value() and then calls increment() as two separate steps, so racing callers overshoot the limit.
//! CATEGORY: check_then_act

use std::sync::Mutex;

/// A counter shared between threads, guarded by a Mutex. Send + Sync + Default.
#[derive(Debug, Default)]
pub struct Counter {
    n: Mutex<usize>,
}

impl Counter {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn increment(&self) {
        *self.n.lock().unwrap() += 1;
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        *self.n.lock().unwrap() += n;
    }

    /// The current value.
    pub fn value(&self) -> usize {
        *self.n.lock().unwrap()
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        if self.value() < limit {
            self.increment();
            true
        } else {
            false
        }
    }
}
