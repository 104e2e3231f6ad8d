//! MUTANT: rewrites Cancel around an AtomicBool whose sleep checks the flag in a yield_now loop, so every sleeping mirror burns CPU instead of blocking.
//! CATEGORY: busy_wait

use std::thread;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A cancellation signal shared by the mirrors of one call. Clone + Send + Sync.
/// The exercise ships it; the learner may change its insides.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
}

impl Cancel {
    /// A signal that is not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the signal, for every clone at once.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether the signal has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps up to `d`, waking early when cancelled; says whether it was cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        // "Lighter than a Mutex and a Condvar": check the flag until the time is up.
        let until = Instant::now() + d;
        while !self.is_cancelled() {
            if Instant::now() >= until {
                return false;
            }
            std::thread::yield_now();
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

/// One way to get the answer.
pub type Mirror<T> = Box<dyn FnOnce(&Cancel) -> Result<T, String> + Send>;

/// Starts every mirror at once and returns the first Ok. Err(AllFailed) holds
/// every error, in mirror order, when all failed; Err(Timeout) when `timeout`
/// passes first. Before returning it cancels the others and waits for every
/// mirror thread to end (mirrors stop promptly once cancelled).
///
/// With no mirrors at all, every one of them has failed: the answer is
/// `Err(FirstError::AllFailed(vec![]))`, at once.
pub fn first_response<T: Send + 'static>(mirrors: Vec<Mirror<T>>, timeout: Duration) -> Result<T, FirstError> {
    let deadline = Instant::now() + timeout;
    let cancel = Cancel::new();
    let count = mirrors.len();
    let (tx, rx) = crossbeam_channel::unbounded();
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
            match rx.recv_deadline(deadline) {
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
