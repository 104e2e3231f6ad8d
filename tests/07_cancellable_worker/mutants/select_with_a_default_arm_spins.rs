//! MUTANT: A select! with a default arm, as Go code often has, never blocks: an idle worker goes round the loop without pause and spins.
//! CATEGORY: busy_wait

use crossbeam_channel::{TryRecvError, select};

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
                    if !matches!(cancel.try_recv(), Err(TryRecvError::Empty)) {
                        return Stopped::Cancelled;
                    }
                    process(job)
                }
                Err(_) => return Stopped::JobsClosed,
            },
            default => {}
        }
    }
}
