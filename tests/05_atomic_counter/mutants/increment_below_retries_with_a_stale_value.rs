//! MUTANT: increment_below retries compare_exchange with the value it loaded before the loop instead of the one the failure returned, so a contended call loops forever.
//! CATEGORY: check_then_act

use std::sync::atomic::{AtomicUsize, Ordering};

/// A counter shared between threads, built on atomics (no lock of any kind).
/// Send + Sync + Default.
#[derive(Debug, Default)]
pub struct AtomicCounter {
    n: AtomicUsize,
}

impl AtomicCounter {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn increment(&self) {
        self.n.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        self.n.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    pub fn value(&self) -> usize {
        self.n.load(Ordering::Relaxed)
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        let current = self.n.load(Ordering::SeqCst);
        loop {
            if current >= limit {
                return false;
            }
            if self.n.compare_exchange(current, current + 1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                return true;
            }
        }
    }
}
