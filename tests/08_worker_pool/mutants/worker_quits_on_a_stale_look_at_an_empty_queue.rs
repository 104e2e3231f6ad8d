//! MUTANT: a worker finds the queue empty under one lock and checks `closed` under a second one, so jobs submitted and the pool closed in between are never run: shutdown returns with them still queued.
//! CATEGORY: wrong_result

// A hand-rolled queue (a Mutex<VecDeque> and a Condvar), as the lesson
// allows. The worker takes its job "in a statement of its own" as the
// lesson advises, but when that statement found nothing it locks the queue
// again to decide between sleeping and stopping, and decides on the old
// look: between the two locks, the last jobs can arrive and the pool can
// close, and the worker stops with them still queued. Real threads need the
// test's submits and shutdown to land inside those two lock calls, with no
// other worker awake to take the jobs.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
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
            queue: Mutex::new(Queue { jobs: VecDeque::new(), closed: false }),
            ready: Condvar::new(),
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
        let mut queue = self.shared.queue.lock().unwrap();
        if queue.closed {
            return Err(Closed);
        }
        queue.jobs.push_back(Box::new(job));
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
        self.shared.queue.lock().unwrap().closed = true;
        self.shared.ready.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(shared: &Shared) {
    loop {
        // The job is taken in a statement of its own: the guard goes at the
        // end of this line, before the job runs.
        let job = shared.queue.lock().unwrap().jobs.pop_front();
        match job {
            Some(job) => {
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
            None => {
                // The queue was empty a moment ago... but this is a new lock,
                // and the closed flag is read without looking at the queue
                // again.
                let queue = shared.queue.lock().unwrap();
                if queue.closed {
                    return;
                }
                let _woken = shared.ready.wait_while(queue, |q| q.jobs.is_empty() && !q.closed).unwrap();
            }
        }
    }
}
