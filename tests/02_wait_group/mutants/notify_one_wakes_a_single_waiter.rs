//! MUTANT: when the counter reaches zero, `done` wakes only one waiting thread (`notify_one`), so the other waiters sleep forever.
//! CATEGORY: lost_wakeup
use std::sync::{Condvar, Mutex};

/// Go's sync.WaitGroup. Send + Sync + Default.
#[derive(Default)]
pub struct WaitGroup {
    count: Mutex<usize>,
    zero: Condvar,
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
        if *count == 0 {
            self.zero.notify_one();
        }
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        let mut count = self.count.lock().unwrap();
        while *count > 0 {
            count = self.zero.wait(count).unwrap();
        }
    }
}
