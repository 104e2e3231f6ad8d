//! MUTANT: `done` notifies on every call and `wait` sleeps once without re-checking the counter, so a waiter returns after the first `done` while other tasks are still running.
//! CATEGORY: wrong_result
use std::sync::{Condvar, Mutex};

/// Go's sync.WaitGroup. Send + Sync + Default.
#[derive(Default)]
pub struct WaitGroup {
    count: Mutex<usize>,
    changed: Condvar,
}

impl WaitGroup {
    /// A group with nothing to wait for.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the counter.
    pub fn add(&self, n: usize) {
        *self.count.lock().unwrap() += n;
    }

    /// Subtracts one. Panics with a message containing
    /// "negative WaitGroup counter" if the counter is already zero.
    pub fn done(&self) {
        let mut count = self.count.lock().unwrap();
        if *count == 0 {
            drop(count);
            panic!("negative WaitGroup counter");
        }
        *count -= 1;
        self.changed.notify_all();
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        let count = self.count.lock().unwrap();
        if *count > 0 {
            let _count = self.changed.wait(count).unwrap();
        }
    }
}
