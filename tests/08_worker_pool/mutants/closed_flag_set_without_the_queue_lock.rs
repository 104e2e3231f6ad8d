//! MUTANT: shutdown sets an AtomicBool `closed` and notifies without taking the queue's lock, so a worker that has just read `closed == false` and not yet started waiting misses the wake-up and sleeps for ever: shutdown never returns.
//! CATEGORY: deadlock

// A hand-rolled queue (a Mutex<VecDeque> and a Condvar), as the lesson
// allows, with the closed flag kept apart as an atomic "because it is
// only a flag". The worker reads it under the queue's lock, but shutdown
// sets it and notifies without that lock, so the store and the notify_all
// can both land between the worker's read and its wait: a window of a few
// instructions at the moment a worker runs out of work, which real threads
// almost never hit.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Shared {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
    closed: AtomicBool,
}

/// A fixed number of worker threads that run submitted jobs.
pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads. Panics if `workers` is zero.
    pub fn new(workers: usize) -> Pool {
        assert!(workers > 0, "a Pool needs at least one worker");
        let shared = Arc::new(Shared {
            jobs: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            closed: AtomicBool::new(false),
        });
        let workers = (0..workers)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || work(&shared))
            })
            .collect();
        Pool { shared, workers }
    }

    /// Queues a job. No more than `workers` jobs run at once. A job that
    /// panics does not stop the pool or lose other jobs.
    pub fn submit<F: FnOnce() + Send + 'static>(&self, job: F) -> Result<(), Closed> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(Closed);
        }
        self.shared.jobs.lock().unwrap().push_back(Box::new(job));
        self.shared.ready.notify_one();
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
        // The flag is set and the workers woken without the queue's lock.
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.ready.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(shared: &Shared) {
    loop {
        let job = {
            let mut jobs = shared.jobs.lock().unwrap();
            loop {
                if let Some(job) = jobs.pop_front() {
                    break job;
                }
                if shared.closed.load(Ordering::SeqCst) {
                    return;
                }
                jobs = shared.ready.wait(jobs).unwrap();
            }
        };
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}
