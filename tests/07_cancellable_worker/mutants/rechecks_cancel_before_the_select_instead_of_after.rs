//! MUTANT: The re-check of cancel sits at the top of the loop, before select!, instead of after select! handed over a job: a cancel and a job that both arrive between the check and the select are a coin toss again, and the job may start.
//! CATEGORY: ignored_cancellation

use crossbeam_channel::{Receiver, TryRecvError, select};

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
        // Look at cancel before every select!, so that a cancel already
        // waiting wins over a waiting job.
        if is_cancelled(cancel) {
            return Stopped::Cancelled;
        }
        select! {
            recv(cancel) -> _ => return Stopped::Cancelled,
            recv(jobs) -> job => match job {
                Ok(job) => process(job),
                Err(_) => return Stopped::JobsClosed,
            },
        }
    }
}

fn is_cancelled(cancel: &Receiver<()>) -> bool {
    match cancel.try_recv() {
        Ok(()) | Err(TryRecvError::Disconnected) => true,
        Err(TryRecvError::Empty) => false,
    }
}
