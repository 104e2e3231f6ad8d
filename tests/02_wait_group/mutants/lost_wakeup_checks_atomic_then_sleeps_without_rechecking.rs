//! MUTANT: `wait` reads an atomic counter, then takes a separate lock and sleeps on the Condvar without checking the counter again, so a `done` that reaches zero between the read and the sleep is never heard (a lost wakeup, wider window).
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
        let before = self
            .count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1))
            .unwrap_or_else(|_| panic!("negative WaitGroup counter"));
        if before == 1 {
            let _guard = self.lock.lock().unwrap();
            self.zero.notify_all();
        }
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        // The counter may reach zero (and `done` notify nobody) right here,
        // while this thread is still on its way to the Condvar.
        let guard = self.lock.lock().unwrap();
        let _guard = self.zero.wait(guard).unwrap();
    }
}
