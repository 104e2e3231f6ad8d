//! MUTANT: The worker polls both channels with try_recv in a loop (with yield_now), so an idle worker spins instead of blocking.
//! CATEGORY: busy_wait

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
        match jobs.try_recv() {
            Ok(job) => process(job),
            Err(TryRecvError::Disconnected) => return Stopped::JobsClosed,
            Err(TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
}
