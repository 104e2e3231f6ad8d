//! MUTANT: submit starts a new thread for every job instead of queueing it for a fixed set of workers, so any number of jobs run at once.
//! CATEGORY: too_concurrent

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A fixed number of worker threads that run submitted jobs.
pub struct Pool {
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Pool {
    /// Starts `workers` threads. Panics if `workers` is zero.
    pub fn new(workers: usize) -> Pool {
        assert!(workers > 0, "a Pool needs at least one worker");
        Pool { threads: Mutex::new(Vec::new()) }
    }

    /// Queues a job. No more than `workers` jobs run at once. A job that
    /// panics does not stop the pool or lose other jobs.
    pub fn submit<F: FnOnce() + Send + 'static>(&self, job: F) -> Result<(), Closed> {
        let handle = thread::spawn(move || {
            let _ = catch_unwind(AssertUnwindSafe(job));
        });
        self.threads.lock().unwrap().push(handle);
        Ok(())
    }

    /// Runs every job already submitted, then joins every worker thread.
    pub fn shutdown(self) {
        drop(self);
    }
}

/// Dropping a Pool does what `shutdown` does: it leaves no thread behind.
impl Drop for Pool {
    fn drop(&mut self) {
        for handle in self.threads.lock().unwrap().drain(..) {
            let _ = handle.join();
        }
    }
}
