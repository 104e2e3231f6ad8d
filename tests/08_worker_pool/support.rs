//! Helpers shared by the hidden tests of exercise 08.
//!
//! Every job these tests submit owns what it touches through an `Arc`, and
//! every job that blocks does so at a [`Gate`] with a deadline. So a broken
//! pool that leaves its workers running after `shutdown` can neither crash
//! the tests that come after it nor keep a thread blocked forever.

use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use testkit::prelude::*;
use testkit::threads::settles_asleep;
use worker_pool::Pool;

/// The two ways a pool ends; the contract asks the same of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `pool.shutdown()`.
    Shutdown,
    /// `drop(pool)`.
    Drop,
}

impl Ending {
    /// Ends `pool` this way.
    pub fn end(self, pool: Pool) {
        match self {
            Ending::Shutdown => pool.shutdown(),
            Ending::Drop => drop(pool),
        }
    }

    /// The call, as the learner would write it.
    pub fn call(self) -> &'static str {
        match self {
            Ending::Shutdown => "pool.shutdown()",
            Ending::Drop => "drop(pool)",
        }
    }

    /// Where the learner fixes it.
    pub fn method(self) -> &'static str {
        match self {
            Ending::Shutdown => "shutdown",
            Ending::Drop => "Drop::drop",
        }
    }
}

/// A gate that starts closed. Jobs wait for it to open, each up to a
/// deadline, so that a broken pool can never hang them forever.
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Gate { open: Mutex::new(false), opened: Condvar::new() }
    }

    /// Opens the gate and wakes everyone waiting at it.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    /// Blocks until the gate opens or `deadline` passes; says whether it is open.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            open = self.opened.wait_timeout(open, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        *open
    }
}

/// How long a job held at a gate waits before it gives up by itself. Longer
/// than any test waits for a pool to end, so that a pool which returns
/// early is caught with its jobs still held.
pub const HOLD: Duration = Duration::from_secs(15);

/// One call that ends a pool, running on a thread of its own (the "ender"),
/// so that the test can watch whether it is blocked, has returned, or is
/// stuck.
pub struct EndCall {
    tid: i32,
    returned: Arc<AtomicBool>,
    outcome: mpsc::Receiver<Result<(), String>>,
    handle: Option<thread::JoinHandle<()>>,
}

/// What the test saw of an [`EndCall`] while the jobs were held at a gate.
#[derive(Debug, PartialEq, Eq)]
pub enum WhileHeld {
    /// The ender thread was seen asleep (blocked, as in `join`) for a while.
    Blocked,
    /// The call returned (or panicked) although jobs were still held.
    Returned,
    /// It neither returned nor went to sleep within the time allowed (a
    /// spinning wait, on a very busy machine).
    Busy,
}

impl EndCall {
    /// Starts ending `pool` on a new thread. `at_return` runs on that thread
    /// right after the call returns, to take readings at that moment.
    pub fn start(pool: Pool, ending: Ending, at_return: impl FnOnce() + Send + 'static) -> EndCall {
        let returned = Arc::new(AtomicBool::new(false));
        let (tid_tx, tid_rx) = mpsc::channel();
        let (out_tx, out_rx) = mpsc::channel();
        let flag = returned.clone();
        let handle = thread::Builder::new()
            .name("ender".into())
            .spawn(move || {
                let _ = tid_tx.send(current_tid());
                let outcome = panic_message(move || ending.end(pool));
                at_return();
                flag.store(true, Ordering::SeqCst);
                let _ = out_tx.send(match outcome {
                    None => Ok(()),
                    Some(message) => Err(message),
                });
            })
            .expect("could not start a thread");
        let tid = tid_rx.recv().expect("the ender thread died at start");
        EndCall { tid, returned, outcome: out_rx, handle: Some(handle) }
    }

    /// Whether the call has returned (or panicked).
    pub fn has_returned(&self) -> bool {
        self.returned.load(Ordering::SeqCst)
    }

    /// Watches the ender thread until it has stayed asleep for 30 looks in a
    /// row (about 30 ms: it is blocked, waiting for something), or until it
    /// returns, or `timeout` passes.
    pub fn watch_while_held(&self, timeout: Duration) -> WhileHeld {
        let blocked = settles_asleep(self.tid, 30, timeout, || self.has_returned());
        if self.has_returned() {
            WhileHeld::Returned
        } else if blocked {
            WhileHeld::Blocked
        } else {
            WhileHeld::Busy
        }
    }

    /// Waits up to `timeout` for the call to end. `Some(Ok)` if it returned,
    /// `Some(Err(message))` if it panicked, `None` if it is still running
    /// (the ender thread is then left behind: the test is about to fail).
    pub fn finish(mut self, timeout: Duration) -> Option<Result<(), String>> {
        let outcome = self.outcome.recv_timeout(timeout).ok()?;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        Some(outcome)
    }
}

/// Ends `pool` and waits up to `timeout`. `Ok` once it returned; otherwise a
/// sentence that explains what went wrong, ready for a failure message.
pub fn end_within(pool: Pool, ending: Ending, timeout: Duration) -> Result<(), String> {
    match EndCall::start(pool, ending, || {}).finish(timeout) {
        Some(Ok(())) => Ok(()),
        Some(Err(message)) => Err(panicked(ending, &message)),
        None => Err(hung(ending, timeout)),
    }
}

/// Explains a call that ended a pool by panicking (and declares what that
/// failure means: called only on the way to failing).
pub fn panicked(ending: Ending, message: &str) -> String {
    failing_means(Category::Panic);
    format!(
        "{} panicked ({message:?}). Ending a pool must not panic: with every job run inside \
         catch_unwind no worker ever panics, so joining them all succeeds (and a panic inside Drop \
         while another panic unwinds aborts the whole program)",
        ending.call()
    )
}

/// Explains a call that ended a pool and never returned (and declares what
/// that failure means: called only on the way to failing). The usual cause
/// is a join that waits for workers that wait for the queue to close.
pub fn hung(ending: Ending, timeout: Duration) -> String {
    failing_means(Category::Deadlock);
    format!(
        "{} did not return within {} s although every job had finished. A worker waits for its next \
         job until the queue is closed, so {} must first close the queue (drop the Sender, or set \
         the `closed` flag under the queue's lock and notify_all) and only then join the workers: \
         joining first waits forever for workers that are waiting for a job",
        ending.call(),
        timeout.as_secs(),
        ending.method(),
    )
}

/// Creates a pool of `workers` on a helper thread, so that a `new` that
/// hangs fails with an explanation.
pub fn new_pool(workers: usize) -> Pool {
    within(GENEROUS, move || Pool::new(workers)).unwrap_or_else(|| {
        // new waits for workers that wait for jobs nobody can submit yet.
        failing_means(Category::Deadlock);
        panic!(
            "Pool::new({workers}) did not return within 5 s: it must start the workers and return, not wait for them"
        )
    })
}

/// Submits on a helper thread, so that a `submit` that blocks (or runs the
/// job itself and the job waits) fails with an explanation.
pub fn submit_within<F: FnOnce() + Send + 'static>(
    pool: Pool,
    job: F,
    timeout: Duration,
) -> Result<(Pool, Result<(), worker_pool::Closed>), String> {
    // The pool travels to the helper thread and back; if the helper is stuck,
    // the pool stays there, and so do its threads, but the test fails anyway.
    within(timeout, move || {
        let result = pool.submit(job);
        (pool, result)
    })
    .ok_or_else(|| {
        // The job ran (or was waited for) on the caller's thread.
        failing_means(Category::NotConcurrent);
        format!(
            "submit did not return within {} s while the job it was given was waiting for the test. \
             submit only queues the job and returns: it must not run the job itself, nor wait for a \
             worker to finish it",
            timeout.as_secs()
        )
    })
}

/// Counts runs of numbered jobs: each job adds one to its own slot.
#[derive(Clone)]
pub struct RunLog {
    runs: Arc<Vec<AtomicUsize>>,
}

impl RunLog {
    /// A log for jobs numbered `0..jobs`.
    pub fn new(jobs: usize) -> Self {
        RunLog { runs: Arc::new((0..jobs).map(|_| AtomicUsize::new(0)).collect()) }
    }

    /// Records one run of job `i`.
    pub fn ran(&self, i: usize) {
        self.runs[i].fetch_add(1, Ordering::SeqCst);
    }

    /// How many times each job ran, in job order.
    pub fn counts(&self) -> Vec<usize> {
        self.runs.iter().map(|r| r.load(Ordering::SeqCst)).collect()
    }

    /// How many runs in all.
    pub fn total(&self) -> usize {
        self.counts().iter().sum()
    }

    /// `None` if every job in `range` ran exactly once; otherwise the jobs
    /// that did not, in words.
    pub fn not_exactly_once(&self, range: std::ops::Range<usize>) -> Option<String> {
        let counts = self.counts();
        let never: Vec<usize> = range.clone().filter(|&i| counts[i] == 0).collect();
        let twice: Vec<usize> = range.filter(|&i| counts[i] > 1).collect();
        if never.is_empty() && twice.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if !never.is_empty() {
            parts.push(format!("{} job(s) had not run (numbers {})", never.len(), list(&never)));
        }
        if !twice.is_empty() {
            parts.push(format!("{} job(s) ran more than once (numbers {})", twice.len(), list(&twice)));
        }
        Some(parts.join(" and "))
    }
}

/// At most eight numbers, then "...".
fn list(numbers: &[usize]) -> String {
    let shown: Vec<String> = numbers.iter().take(8).map(usize::to_string).collect();
    if numbers.len() > 8 { format!("{}, ...", shown.join(", ")) } else { shown.join(", ") }
}

/// The message a deliberately panicking job panics with.
pub const DELIBERATE: &str = "a job that panics on purpose (the test expects this panic)";
