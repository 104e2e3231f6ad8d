//! Exercise 02: a wait group, the reference solution.
//!
//! The whole state is one number, the count of unfinished tasks, kept behind
//! a `Mutex`. A `Condvar` lets waiters sleep until that number reaches zero.
//! Every decision about the number is made while holding the lock, so no
//! thread can act on a value another thread has already changed.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Go's sync.WaitGroup. Send + Sync + Default.
#[derive(Default)]
pub struct WaitGroup {
    /// How many tasks have been added and not yet marked done.
    count: Mutex<usize>,
    /// Signalled when `count` reaches zero.
    zero: Condvar,
}

impl WaitGroup {
    /// A group with nothing to wait for.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the counter.
    pub fn add(&self, n: usize) {
        let mut count = self.lock();
        // An overflow would be a bug in the caller; fail loudly instead of
        // wrapping to a small number that would release waiters too early.
        *count = count.checked_add(n).expect("WaitGroup counter overflow");
    }

    /// Subtracts one. Panics with a message containing
    /// "negative WaitGroup counter" if the counter is already zero.
    pub fn done(&self) {
        let mut count = self.lock();
        if *count == 0 {
            // Release the lock before panicking, so that the panic does not
            // poison it for the other threads that share this group.
            drop(count);
            panic!("negative WaitGroup counter: done() was called more times than add() allowed");
        }
        *count -= 1;
        if *count == 0 {
            // Wake every waiter, not just one: any number of threads may be
            // blocked in `wait`, and all of them are waiting for this moment.
            self.zero.notify_all();
        }
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        // Check and sleep under the same lock: `Condvar::wait` releases the
        // lock only once this thread is registered as a sleeper, so a `done`
        // on another thread cannot slip in between the check and the sleep
        // (that gap would be a lost wakeup: sleeping forever at zero).
        //
        // The loop re-checks after every wakeup, because a condition variable
        // may wake a thread spuriously, and because the count may have moved
        // again (a new round's `add`) by the time this thread runs.
        let count = self.lock();
        let _zero = self
            .zero
            .wait_while(count, |count| *count > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// Takes the lock even if a panic elsewhere poisoned it: the counter is a
    /// plain number that is never left half-updated, so it is still valid.
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
