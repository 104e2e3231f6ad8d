//! MUTANT: shutdown closes the queue and drops the JoinHandles instead of joining them, so it returns while jobs still run and their threads live on.
//! CATEGORY: leaked_thread

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
    pub fn shutdown(mut self) {
        // Dropping a JoinHandle detaches the thread; it does not wait for it.
        drop(self.jobs.take());
        self.workers.clear();
    }

    fn close_and_join(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
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

fn work(jobs: Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}
