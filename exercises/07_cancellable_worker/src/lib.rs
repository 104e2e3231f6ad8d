//! Exercise 07: a worker that runs jobs until it is told to stop.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check cancellable_worker`.

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
    process: impl FnMut(J),
) -> Stopped {
    // TODO: wait on both channels at once (crossbeam_channel::select!), and
    // decide what each outcome means: a cancel message, a disconnected
    // cancel, a job, a disconnected and empty jobs channel. Before starting a
    // job, make sure no cancellation is already waiting.
    let _ = (cancel, jobs, process);
    todo!()
}
