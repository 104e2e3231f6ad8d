//! Exercise 07: a worker with a stop path, the reference solution.
//!
//! The worker waits on two channels at once with crossbeam's `select!`: the
//! jobs it should run and a cancel signal. Waiting on both in one blocking
//! call is what makes it hear a cancel while idle without polling. Two
//! details on top of that make it correct:
//!
//! * `select!` chooses at random among the channels that are ready. When a
//!   job and a cancel are both waiting, it may hand over the job, so the
//!   worker looks at `cancel` once more before starting it.
//! * A channel whose senders are all gone is always "ready": `recv` returns
//!   `Err` at once, every time. For `cancel` that means "nobody can ever tell
//!   me to go on", which is a cancellation; treating it as nothing would turn
//!   the loop into a spin.

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
        // One blocking wait on both channels: the thread sleeps until either
        // has something (a message, or a disconnection) and uses no CPU
        // meanwhile.
        select! {
            // A message and a disconnection mean the same thing here, so the
            // result is not even looked at.
            recv(cancel) -> _ => return Stopped::Cancelled,
            recv(jobs) -> job => match job {
                Ok(job) => {
                    // `select!` may have picked this job although a cancel
                    // was ready too (it picks at random among ready
                    // channels). Starting the job would break the promise
                    // that no job starts once cancellation is visible, so
                    // check again. The job is dropped unprocessed: the
                    // worker was told to stop.
                    if is_cancelled(cancel) {
                        return Stopped::Cancelled;
                    }
                    process(job);
                }
                // crossbeam returns `Err` only once the channel is both
                // disconnected and empty, so every queued job has been run.
                Err(_) => return Stopped::JobsClosed,
            },
        }
    }
}

/// Whether `cancel` has a message or has been disconnected, without waiting.
fn is_cancelled(cancel: &Receiver<()>) -> bool {
    match cancel.try_recv() {
        Ok(()) | Err(TryRecvError::Disconnected) => true,
        Err(TryRecvError::Empty) => false,
    }
}
