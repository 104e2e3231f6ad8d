//! MUTANT: the counter is an atomic and `done` on zero wraps it around to a huge number (`fetch_sub` without a check) instead of panicking with "negative WaitGroup counter".
//! CATEGORY: wrong_result
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
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _guard = self.lock.lock().unwrap();
            self.zero.notify_all();
        }
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
