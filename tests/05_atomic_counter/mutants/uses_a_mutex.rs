//! MUTANT: a correct counter, but behind a Mutex, which this exercise forbids: only the rule test can tell.
//! CATEGORY: forbidden_construct

use std::sync::Mutex;

/// A counter shared between threads, built on atomics (no lock of any kind).
/// Send + Sync + Default.
#[derive(Debug, Default)]
pub struct AtomicCounter {
    n: Mutex<usize>,
}

impl AtomicCounter {
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
        let mut n = self.n.lock().unwrap();
        if *n < limit {
            *n += 1;
            true
        } else {
            false
        }
    }
}
