//! MUTANT: rewrites Cancel around an AtomicBool that cancel raises and notifies about without taking the Condvar's Mutex, so a cancel that lands after sleep has looked at the flag and before it waits notifies nobody and the mirror sleeps its whole duration (a lost wakeup).
//! CATEGORY: lost_wakeup

use crossbeam_channel::RecvTimeoutError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// A cancellation signal shared by the mirrors of one call. Clone + Send + Sync.
/// The exercise ships it; the learner may change its insides.
///
/// Every clone is the same signal: once one of them is cancelled, all of them
/// are, for good.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    inner: Arc<Signal>,
}

/// The flag is an atomic, so that `is_cancelled` takes no lock; the Mutex
/// guards nothing and is there only because a Condvar needs one.
#[derive(Debug, Default)]
struct Signal {
    cancelled: AtomicBool,
    lock: Mutex<()>,
    woken: Condvar,
}

impl Cancel {
    /// A signal that is not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the signal, for every clone at once, and wakes every thread
    /// asleep in [`Cancel::sleep`]. Cancelling twice does no harm.
    pub fn cancel(&self) {
        // The flag is atomic, so no lock is taken to raise it.
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.woken.notify_all();
    }

    /// Whether the signal has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Sleeps up to `d`, waking early when cancelled; says whether it was cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now().checked_add(d);
        let mut guard = self.inner.lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !self.is_cancelled() {
            match until {
                Some(until) => {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    guard = self.inner.woken.wait_timeout(guard, left).unwrap_or_else(PoisonError::into_inner).0;
                }
                None => guard = self.inner.woken.wait(guard).unwrap_or_else(PoisonError::into_inner),
            }
        }
        true
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
    // The deadline is fixed once, before anything starts. Receiving with
    // `recv_timeout(timeout)` in the loop instead would give every message a
    // fresh `timeout`, and mirrors that keep failing slowly would keep the
    // caller waiting far past it. `None`: a timeout too long for the clock,
    // which is as good as no timeout at all.
    let deadline = Instant::now().checked_add(timeout);
    let cancel = Cancel::new();
    let count = mirrors.len();
    let (results, outcomes) = crossbeam_channel::unbounded::<(usize, Result<T, String>)>();

    // A scope joins every thread spawned in it before it returns, on every
    // path out of the closure, including a panic. That is the guarantee the
    // contract asks for: when `first_response` returns, no mirror is running.
    thread::scope(|scope| {
        for (index, mirror) in mirrors.into_iter().enumerate() {
            let (results, cancel) = (results.clone(), cancel.clone());
            scope.spawn(move || {
                let result = mirror(&cancel);
                // The receiver is gone once the call has decided; a late
                // result is simply not needed any more.
                let _ = results.send((index, result));
            });
        }
        // Only the mirrors hold senders now, so if every one of them ends
        // without sending (they panicked), `recv` reports the channel
        // disconnected instead of waiting for the deadline.
        drop(results);

        let outcome = wait_for_first_ok(&outcomes, count, deadline);
        // Tell the mirrors that are still working that nobody needs them.
        // Without this, the end of the scope would wait for the slowest one.
        cancel.cancel();
        outcome
    })
}

/// Receives results until the first `Ok`, the last error or the deadline.
fn wait_for_first_ok<T>(
    outcomes: &crossbeam_channel::Receiver<(usize, Result<T, String>)>,
    count: usize,
    deadline: Option<Instant>,
) -> Result<T, FirstError> {
    // Errors arrive in whatever order the mirrors fail; each is kept in its
    // mirror's slot so that the report lists them in mirror order.
    let mut errors: Vec<Option<String>> = (0..count).map(|_| None).collect();
    let mut failed = 0;
    while failed < count {
        let received = match deadline {
            Some(deadline) => outcomes.recv_deadline(deadline),
            None => outcomes.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok((_, Ok(value))) => return Ok(value),
            Ok((index, Err(error))) => {
                errors[index] = Some(error);
                failed += 1;
            }
            Err(RecvTimeoutError::Timeout) => return Err(FirstError::Timeout),
            // Every mirror has ended and some never sent: they panicked. The
            // scope passes their panic on to the caller once they are joined.
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    Err(FirstError::AllFailed(errors.into_iter().flatten().collect()))
}
