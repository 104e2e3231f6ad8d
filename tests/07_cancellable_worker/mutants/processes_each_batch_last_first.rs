//! MUTANT: The worker takes every queued job into a Vec and pops them off the end, so each batch runs last-first.
//! CATEGORY: order

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
        let mut batch: Vec<J> = Vec::new();
        select! {
            recv(cancel) -> _ => return Stopped::Cancelled,
            recv(jobs) -> job => match job {
                Ok(job) => batch.push(job),
                Err(_) => return Stopped::JobsClosed,
            },
        }
        batch.extend(jobs.try_iter());
        while let Some(job) = batch.pop() {
            match cancel.try_recv() {
                Ok(()) | Err(TryRecvError::Disconnected) => return Stopped::Cancelled,
                Err(TryRecvError::Empty) => process(job),
            }
        }
    }
}
