//! MUTANT: increment loads the value and then stores it plus one, two atomic steps, so concurrent increments are lost.
//! CATEGORY: lost_update

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
        // Each call is atomic, but another thread can store in between.
        let v = self.n.load(Ordering::SeqCst);
        self.n.store(v + 1, Ordering::SeqCst);
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
        self.n.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| (v < limit).then_some(v + 1)).is_ok()
    }
}
