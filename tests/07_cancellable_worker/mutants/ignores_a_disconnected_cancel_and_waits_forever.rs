//! MUTANT: When the cancel Sender is dropped, cancel is swapped for never() (the Go nil-channel trick), so the worker waits for jobs forever instead of returning Cancelled.
//! CATEGORY: ignored_cancellation

use crossbeam_channel::{Receiver, never, select};

/// Why [`worker`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// `cancel` received a message or was disconnected.
    Cancelled,
    /// `jobs` was disconnected and every job queued in it had been processed.
    JobsClosed,
}

/// Runs `process` on each job from `jobs`, in the order received, until
/// `cancel` receives a message or is disconnected (returns `Cancelled`) or
/// `jobs` is disconnected and empty (returns `JobsClosed`). Once cancellation
/// is visible, no further job is started, even if jobs are waiting. Returns
/// promptly after cancellation; blocks without spinning while idle.
pub fn worker<J>(
    cancel: &crossbeam_channel::Receiver<()>,
    jobs: &crossbeam_channel::Receiver<J>,
    mut process: impl FnMut(J),
) -> Stopped {
    let closed: Receiver<()> = never();
    let mut cancel = cancel;
    loop {
        select! {
            recv(cancel) -> msg => match msg {
                Ok(()) => return Stopped::Cancelled,
                Err(_) => cancel = &closed,
            },
            recv(jobs) -> job => match job {
                Ok(job) => {
                    if cancel.try_recv().is_ok() {
                        return Stopped::Cancelled;
                    }
                    process(job)
                }
                Err(_) => return Stopped::JobsClosed,
            },
        }
    }
}
