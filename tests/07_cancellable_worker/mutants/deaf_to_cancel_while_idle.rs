//! MUTANT: The worker blocks on jobs.recv() and checks cancel only between jobs, so an idle worker never hears a cancel.
//! CATEGORY: ignored_cancellation

use crossbeam_channel::TryRecvError;

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
        match cancel.try_recv() {
            Ok(()) | Err(TryRecvError::Disconnected) => return Stopped::Cancelled,
            Err(TryRecvError::Empty) => {}
        }
        match jobs.recv() {
            Ok(job) => process(job),
            Err(_) => return Stopped::JobsClosed,
        }
    }
}
