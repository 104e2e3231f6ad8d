//! MUTANT: ending the pool raises a stop flag that each worker checks before its next job, so jobs still queued at shutdown are never run.
//! CATEGORY: wrong_result

use crossbeam_channel::{Receiver, Sender};
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
    while !stop.load(Ordering::SeqCst) {
        match jobs.recv() {
            Ok(job) => {
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
            Err(_) => break,
        }
    }
}
