//! Exercise 08: a pool of worker threads that never leaks one.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check worker_pool`.

// TODO: you will need a job queue that several threads can take from (a
// `crossbeam_channel` channel is one; `std::sync::mpsc` behind an
// `Arc<Mutex<..>>`, or a `Mutex<VecDeque<..>>` with a `Condvar`, work too),
// `std::thread::JoinHandle`, and `std::panic::catch_unwind`.

/// What `submit` returns when the pool can no longer take jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A fixed number of worker threads that run submitted jobs.
pub struct Pool {
    // TODO: replace this placeholder with what the pool needs: the sending
    // end of the job queue, and the JoinHandle of every worker thread. A
    // job can be stored as `Box<dyn FnOnce() + Send + 'static>`.
    _private: (),
}

impl Pool {
    /// Starts `workers` threads. Panics if `workers` is zero.
    pub fn new(workers: usize) -> Pool {
        // TODO: start the workers. Each one loops: take the next job, run
        // it, and stop only once the queue is closed and empty.
        let _ = workers;
        todo!()
    }

    /// Queues a job. No more than `workers` jobs run at once. A job that
    /// panics does not stop the pool or lose other jobs.
    pub fn submit<F: FnOnce() + Send + 'static>(&self, job: F) -> Result<(), Closed> {
        // TODO: put the job on the queue; do not run it here.
        let _ = job;
        todo!()
    }

    /// Runs every job already submitted, then joins every worker thread.
    pub fn shutdown(self) {
        // TODO: close the queue, then join every worker. Drop must do the
        // same, so one private method called from both saves writing it twice.
        todo!()
    }
}

/// Dropping a Pool does what `shutdown` does: it leaves no thread behind.
impl Drop for Pool {
    fn drop(&mut self) {
        // TODO: `drop` only gets `&mut self`. To move the sender or the join
        // handles out of a field, keep them in an `Option` (and
        // `Option::take` them) or a `Vec` (and `drain(..)` it).
        todo!()
    }
}
