//! MUTANT: `wait` busy-waits, reading an atomic counter in a loop with `std::hint::spin_loop()`, so every waiting thread burns CPU instead of sleeping.
//! CATEGORY: busy_wait
use std::sync::atomic::{AtomicUsize, Ordering};

/// Go's sync.WaitGroup. Send + Sync + Default.
#[derive(Default)]
pub struct WaitGroup {
    count: AtomicUsize,
}

impl WaitGroup {
    /// A group with nothing to wait for.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the counter.
    pub fn add(&self, n: usize) {
        self.count.fetch_add(n, Ordering::SeqCst);
    }

    /// Subtracts one. Panics with a message containing
    /// "negative WaitGroup counter" if the counter is already zero.
    pub fn done(&self) {
        let updated = self
            .count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1));
        if updated.is_err() {
            panic!("negative WaitGroup counter");
        }
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        while self.count.load(Ordering::SeqCst) > 0 {
            std::hint::spin_loop();
        }
    }
}
