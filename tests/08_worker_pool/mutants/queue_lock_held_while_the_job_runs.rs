//! MUTANT: each worker runs its job while still holding the lock on the shared Receiver (a `while let` on `lock().recv()`), so only one job runs at a time.
//! CATEGORY: not_concurrent

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
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
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..workers)
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                thread::spawn(move || work(&receiver))
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
}

/// Dropping a Pool does what `shutdown` does: it leaves no thread behind.
impl Drop for Pool {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    // The guard made in the `while let` line lives until the end of the body.
    while let Ok(job) = receiver.lock().unwrap().recv() {
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}
