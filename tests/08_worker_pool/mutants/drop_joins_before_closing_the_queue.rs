//! MUTANT: ending the pool joins the workers before dropping the Sender, so the workers wait for a next job forever and shutdown and drop never return.
//! CATEGORY: deadlock

use crossbeam_channel::{Receiver, Sender};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::{self, JoinHandle};

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed number of worker threads that run submitted jobs.
pub struct Pool {
    jobs: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads. Panics if `workers` is zero.
    pub fn new(workers: usize) -> Pool {
        assert!(workers > 0, "a Pool needs at least one worker");
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        let workers = (0..workers)
            .map(|_| {
                let receiver = receiver.clone();
                thread::spawn(move || work(receiver))
            })
            .collect();
        Pool { jobs: Some(sender), workers }
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

    fn close_and_join(&mut self) {
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        drop(self.jobs.take());
    }
}

/// Dropping a Pool does what `shutdown` does: it leaves no thread behind.
impl Drop for Pool {
    fn drop(&mut self) {
        self.close_and_join();
    }
}

fn work(jobs: Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}
