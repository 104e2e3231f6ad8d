//! MUTANT: a worker that finds the channel empty with try_recv then reads a stop flag and quits if it is up, so jobs submitted and the pool ended between the two looks are never run.
//! CATEGORY: wrong_result

// The learner keeps the lesson's channel but adds a stop flag "so that idle
// workers stop at once": a worker that finds the queue empty checks the flag
// before it blocks in recv. The flag is raised only after every submit has
// returned, so it looks harmless; but "empty" was seen a moment earlier, and
// the last jobs can arrive and the flag go up between the two looks. Real
// threads need the test's submits and shutdown to land in that gap, with no
// other worker awake to take the jobs.

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed number of worker threads that run submitted jobs.
pub struct Pool {
    jobs: Option<Sender<Job>>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads. Panics if `workers` is zero.
    pub fn new(workers: usize) -> Pool {
        assert!(workers > 0, "a Pool needs at least one worker");
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..workers)
            .map(|_| {
                let (receiver, stop) = (receiver.clone(), stop.clone());
                thread::spawn(move || work(receiver, &stop))
            })
            .collect();
        Pool { jobs: Some(sender), stop, workers }
    }

    /// Queues a job. No more than `workers` jobs run at once. A job that
    /// panics does not stop the pool or lose other jobs.
    pub fn submit<F: FnOnce() + Send + 'static>(&self, job: F) -> Result<(), Closed> {
        match &self.jobs {
            Some(sender) => sender.send(Box::new(job)).map_err(|_| Closed),
            None => Err(Closed),
        }
    }

    /// Runs every job already submitted, then joins every worker thread.
    pub fn shutdown(self) {
        drop(self);
    }
}

/// Dropping a Pool does what `shutdown` does: it leaves no thread behind.
impl Drop for Pool {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(jobs: Receiver<Job>, stop: &AtomicBool) {
    loop {
        let job = match jobs.try_recv() {
            Ok(job) => job,
            Err(TryRecvError::Disconnected) => return,
            Err(TryRecvError::Empty) => {
                // Nothing queued: stop now if the pool is ending, instead of
                // blocking in recv. (The queue was empty a moment ago.)
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
        };
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}
