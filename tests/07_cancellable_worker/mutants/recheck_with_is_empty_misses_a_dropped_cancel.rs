//! MUTANT: The re-check before each job uses !cancel.is_empty(), which is false for a disconnected cancel, so a dropped cancel Sender does not stop queued jobs.
//! CATEGORY: ignored_cancellation

use crossbeam_channel::select;

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
    loop {
        select! {
            recv(cancel) -> _ => return Stopped::Cancelled,
            recv(jobs) -> job => match job {
                Ok(job) => {
                    if !cancel.is_empty() {
                        return Stopped::Cancelled;
                    }
                    process(job)
                }
                Err(_) => return Stopped::JobsClosed,
            },
        }
    }
}
