//! Exercise 08: a pool of worker threads that never leaks one.
//!
//! Reference solution. The workers share one job queue, a crossbeam channel
//! whose `Receiver` every worker holds a clone of. Ending the pool closes the
//! queue by dropping the one `Sender`; each worker then finishes what is
//! still queued, sees the channel disconnected, and returns; and the pool
//! joins every worker before `shutdown` (or `drop`) returns.

use crossbeam_channel::{Receiver, Sender};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::{self, JoinHandle};

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A job: any closure that can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed number of worker threads that run submitted jobs.
pub struct Pool {
    /// The sending half of the job queue. `None` once the pool is ending:
    /// dropping the last `Sender` is what tells the workers "no more jobs".
    /// It is an `Option` because `Drop::drop` only gets `&mut self`, and
    /// `Option::take` is how a field is moved out of a `&mut`.
    jobs: Option<Sender<Job>>,
    /// Every worker thread, so that ending the pool can wait for each one.
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads. Panics if `workers` is zero.
    pub fn new(workers: usize) -> Pool {
        // A pool of no workers would accept jobs and never run them, and
        // that is a bug in the caller worth reporting at once.
        assert!(workers > 0, "a Pool needs at least one worker thread, got 0");
        // Unbounded: `submit` never blocks. The workers take jobs in order as
        // each becomes free.
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        let workers = (0..workers)
            .map(|i| {
                // crossbeam's Receiver is Clone: every worker holds one, and
                // each message goes to exactly one of them. (With std's mpsc
                // the Receiver cannot be cloned; it would be shared as
                // `Arc<Mutex<Receiver<Job>>>` instead.)
                let receiver = receiver.clone();
                thread::Builder::new()
                    .name(format!("pool-worker-{i}"))
                    .spawn(move || work(receiver))
                    .expect("could not start a worker thread")
            })
            .collect();
        Pool { jobs: Some(sender), workers }
    }

    /// Queues a job. No more than `workers` jobs run at once. A job that
    /// panics does not stop the pool or lose other jobs.
    pub fn submit<F: FnOnce() + Send + 'static>(&self, job: F) -> Result<(), Closed> {
        // `shutdown` and `drop` take the pool by value (or by `&mut`), so no
        // `submit` can run once they have started: `jobs` is always `Some`
        // here. A send fails only if every Receiver is gone, which would mean
        // every worker has ended; then the job could never run, and saying so
        // is better than losing it quietly.
        match &self.jobs {
            Some(sender) => sender.send(Box::new(job)).map_err(|_| Closed),
            None => Err(Closed),
        }
    }

    /// Runs every job already submitted, then joins every worker thread.
    pub fn shutdown(self) {
        // Dropping the pool does the work (see `Drop` below): one code path
        // for both ways of ending a pool, so they cannot drift apart.
        drop(self);
    }

    /// Closes the queue and waits for every worker. Safe to call twice:
    /// the second call finds nothing left to take.
    fn close_and_join(&mut self) {
        // Order matters. First close the queue, so that each worker, once the
        // queue is empty, gets `Err` from `recv` and returns. Joining first
        // would wait forever for workers that are waiting for a next job.
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            // A worker never panics (every job runs inside catch_unwind), so
            // join only returns Err if something is badly wrong. Ignoring it
            // is deliberate: panicking here, inside `Drop`, while the thread
            // may already be unwinding from another panic, would abort the
            // whole process.
            let _ = worker.join();
        }
    }
}

/// Dropping a Pool does what `shutdown` does: it leaves no thread behind.
impl Drop for Pool {
    fn drop(&mut self) {
        self.close_and_join();
    }
}

/// The loop each worker thread runs: take a job, run it, repeat, until the
/// queue is closed *and* empty.
fn work(jobs: Receiver<Job>) {
    // `recv` blocks (without spinning) while the queue is empty and open. It
    // keeps handing out queued jobs after the Sender is dropped, and returns
    // Err only once the queue is both closed and drained: that is exactly
    // "finish what was submitted, then stop".
    while let Ok(job) = jobs.recv() {
        // A panic unwinds only up to here. Without catch_unwind it would end
        // this thread, the pool would have one worker fewer for every job
        // that panicked, and with no worker left the queued jobs would never
        // run. AssertUnwindSafe: the job is consumed by the call, so nothing
        // it may have left half-changed is used again by this worker.
        // (The panic message is still printed by the panic hook.)
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}
