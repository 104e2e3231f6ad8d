//! MUTANT: `done` wakes the waiters when it sees the counter at 1 and decrements it only afterwards, outside the lock, so a waiter that wakes quickly re-checks, still sees 1, goes back to sleep, and nobody wakes it again (a lost wakeup, wide window).
//! CATEGORY: lost_wakeup
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Go's sync.WaitGroup. Send + Sync + Default.
#[derive(Default)]
pub struct WaitGroup {
    count: AtomicUsize,
    lock: Mutex<()>,
    zero: Condvar,
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
        let count = self.count.load(Ordering::SeqCst);
        if count == 0 {
            panic!("negative WaitGroup counter");
        }
        if count == 1 {
            // "We are about to reach zero": wake everyone now...
            let _guard = self.lock.lock().unwrap();
            self.zero.notify_all();
        }
        // ...and only then record it.
        self.count.fetch_sub(1, Ordering::SeqCst);
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        let mut guard = self.lock.lock().unwrap();
        while self.count.load(Ordering::SeqCst) > 0 {
            guard = self.zero.wait(guard).unwrap();
        }
    }
}
