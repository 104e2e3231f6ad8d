//! MUTANT: add reads the value with value() and writes the sum under a second lock acquisition, so concurrent adds are lost.
//! CATEGORY: lost_update

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
        let v = self.value();
        *self.n.lock().unwrap() = v + n;
    }

    /// The current value.
    pub fn value(&self) -> usize {
        *self.n.lock().unwrap()
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        let mut n = self.n.lock().unwrap();
        if *n < limit {
            *n += 1;
            true
        } else {
            false
        }
    }
}
