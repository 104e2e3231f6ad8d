//! MUTANT: gives every recv the whole timeout again, so errors that keep arriving within the timeout of each other postpone the deadline indefinitely.
//! CATEGORY: ignored_cancellation

use std::thread;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A cancellation signal shared by the mirrors of one call. Clone + Send + Sync.
/// The exercise ships it; the learner may change its insides.
///
/// Every clone is the same signal: once one of them is cancelled, all of them
/// are, for good.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    /// The flag, and the condition variable that wakes every `sleep` when it
    /// is raised.
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl Cancel {
    /// A signal that is not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the signal, for every clone at once, and wakes every thread
    /// asleep in [`Cancel::sleep`]. Cancelling twice does no harm.
    pub fn cancel(&self) {
        let (_, woken) = &*self.inner;
        *self.flag() = true;
        woken.notify_all();
    }

    /// Whether the signal has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        *self.flag()
    }

    /// Sleeps up to `d`, waking early when cancelled; says whether it was cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        let (_, woken) = &*self.inner;
        let cancelled = self.flag();
        match Instant::now().checked_add(d) {
            // Blocks on the condition variable (no CPU used) until `cancel`
            // wakes it or the time is up, re-checking after every wake-up.
            Some(until) => {
                let left = until.saturating_duration_since(Instant::now());
                let (cancelled, _) =
                    woken.wait_timeout_while(cancelled, left, |c| !*c).unwrap_or_else(PoisonError::into_inner);
                *cancelled
            }
            // A duration too long to add to the clock: wait for `cancel` only.
            None => *woken.wait_while(cancelled, |c| !*c).unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// The flag, even if a panicking thread poisoned its lock: a bool is
    /// never left half-written.
    fn flag(&self) -> MutexGuard<'_, bool> {
        self.inner.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why `first_response` has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstError {
    /// The timeout passed before any mirror answered with `Ok`.
    Timeout,
    /// Every mirror failed; their errors, in mirror order.
    AllFailed(Vec<String>),
}

/// One way to get the answer: it is called once, on a thread of its own, with
/// the signal that tells it to give up because it is no longer needed.
pub type Mirror<T> = Box<dyn FnOnce(&Cancel) -> Result<T, String> + Send>;

/// Starts every mirror at once and returns the first Ok. Err(AllFailed) holds
/// every error, in mirror order, when all failed; Err(Timeout) when `timeout`
/// passes first. Before returning it cancels the others and waits for every
/// mirror thread to end (mirrors stop promptly once cancelled).
///
/// With no mirrors at all, every one of them has failed: the answer is
/// `Err(FirstError::AllFailed(vec![]))`, at once.
pub fn first_response<T: Send + 'static>(mirrors: Vec<Mirror<T>>, timeout: Duration) -> Result<T, FirstError> {
    let cancel = Cancel::new();
    let count = mirrors.len();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::scope(|s| {
        for (i, m) in mirrors.into_iter().enumerate() {
            let (tx, cancel) = (tx.clone(), cancel.clone());
            s.spawn(move || {
                let _ = tx.send((i, m(&cancel)));
            });
        }
        drop(tx);
        let mut errors: Vec<Option<String>> = vec![None; count];
        let mut failed = 0;
        let outcome = loop {
            if failed == count {
                break Err(FirstError::AllFailed(errors.into_iter().flatten().collect()));
            }
            match rx.recv_timeout(timeout) {
                Ok((_, Ok(v))) => break Ok(v),
                Ok((i, Err(e))) => {
                    errors[i] = Some(e);
                    failed += 1;
                }
                Err(_) => break Err(FirstError::Timeout),
            }
        };
        cancel.cancel();
        outcome
    })
}
