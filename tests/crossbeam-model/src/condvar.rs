//! `std::sync::Condvar` for the exploration build: shuttle's, whose timed
//! waits never time out, with timed waits on the virtual clock.

use crate::clock::{self, Wake};
use shuttle::sync::MutexGuard;
use std::fmt;
use std::sync::{Arc, LockResult, PoisonError};
use std::time::Duration;

/// Whether a timed wait on a [`Condvar`] timed out.
#[derive(Debug, PartialEq, Eq, Copy, Clone)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its time was up.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable: shuttle's, plus timed waits on the virtual clock.
/// (Not `const`-constructible, unlike std's: the timer holds a reference
/// to it while a timed wait is pending.)
#[derive(Default)]
pub struct Condvar {
    inner: Arc<shuttle::sync::Condvar>,
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Condvar { .. }")
    }
}

impl Condvar {
    /// A new condition variable.
    pub fn new() -> Condvar {
        Condvar { inner: Arc::new(shuttle::sync::Condvar::new()) }
    }

    /// Blocks until notified (or spuriously woken).
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.inner.wait(guard)
    }

    /// Blocks until notified and `condition` is false.
    pub fn wait_while<'a, T, F>(&self, guard: MutexGuard<'a, T>, condition: F) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        self.inner.wait_while(guard, condition)
    }

    /// Blocks until notified or `dur` has passed on the virtual clock.
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let Some(deadline) = clock::now().checked_add(dur) else {
            return match self.inner.wait(guard) {
                Ok(g) => Ok((g, WaitTimeoutResult(false))),
                Err(e) => Err(PoisonError::new((e.into_inner(), WaitTimeoutResult(false)))),
            };
        };
        self.wait_until(guard, deadline)
    }

    fn wait_until<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        if clock::now() >= deadline {
            return Ok((guard, WaitTimeoutResult(true)));
        }
        // The timer thread must exist before this thread can be woken by it;
        // starting it is a scheduling point, which the caller's lock makes
        // harmless here (nobody can notify while it is held... unless the
        // notifier takes no lock, as std allows too).
        clock::ensure_timer();
        let pending = clock::register(deadline, Wake::Notify(self.inner.clone()));
        let woken = self.inner.wait(guard);
        drop(pending);
        let timed_out = WaitTimeoutResult(clock::now() >= deadline);
        match woken {
            Ok(g) => Ok((g, timed_out)),
            Err(e) => Err(PoisonError::new((e.into_inner(), timed_out))),
        }
    }

    /// Blocks until notified and `condition` is false, or `dur` has passed.
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let Some(deadline) = clock::now().checked_add(dur) else {
            return match self.inner.wait_while(guard, condition) {
                Ok(g) => Ok((g, WaitTimeoutResult(false))),
                Err(e) => Err(PoisonError::new((e.into_inner(), WaitTimeoutResult(false)))),
            };
        };
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let (g, result) = self.wait_until(guard, deadline)?;
            guard = g;
            if result.timed_out() {
                let still = condition(&mut *guard);
                return Ok((guard, WaitTimeoutResult(still)));
            }
        }
    }

    /// Wakes one waiting thread.
    pub fn notify_one(&self) {
        self.inner.notify_one()
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        self.inner.notify_all()
    }
}
