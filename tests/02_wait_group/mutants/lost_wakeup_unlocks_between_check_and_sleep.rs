//! MUTANT: `wait` checks the counter under the lock, lets go of the lock, then locks again and sleeps on the Condvar, so a `done` that lands in between is never heard (a lost wakeup, narrow window).
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
            self.zero.notify_all();
        }
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        let pending = *self.count.lock().unwrap() > 0;
        if !pending {
            return;
        }
        // The lock was released at the end of the line above: a `done` that
        // reaches zero right here notifies nobody.
        let mut count = self.count.lock().unwrap();
        loop {
            count = self.zero.wait(count).unwrap();
            if *count == 0 {
                return;
            }
        }
    }
}
