//! Helpers shared by this exercise's hidden tests: a `worker` call running on
//! a thread of its own, whose progress the tests can watch.
//!
//! The worker always runs on its own thread, never on the test's: a broken
//! worker may block forever or spin, and the test must still be able to say
//! what it saw instead of hanging.

pub use cancellable_worker::{Stopped, worker};
pub use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::sync::mpsc;
use testkit::prelude::*;
use testkit::threads::settles_asleep;

/// How many times the tests that race `select!`'s random choice repeat
/// themselves. A worker that starts a job while a cancellation is waiting
/// gets it right by luck about half the time; 60 lucky trials in a row
/// happen once in 2^60.
///
/// The trials must run on one thread, one after the other ([`WorkerThread`]):
/// crossbeam's `select!` draws its random order from a per-thread generator
/// that starts from the same seed in every new thread, so on a fresh thread
/// each trial would make the very same choice.
pub const TRIALS: usize = 60;

/// One long-lived thread that runs the closures it is given, one after the
/// other: repeated `worker` calls on it see `select!` choose differently.
pub struct WorkerThread {
    tasks: mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl WorkerThread {
    /// Starts the thread.
    pub fn new() -> WorkerThread {
        let (tasks, queue) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        thread::Builder::new()
            .name("worker".into())
            .spawn(move || {
                for task in queue {
                    task();
                }
            })
            .expect("could not start the worker thread");
        WorkerThread { tasks }
    }

    /// Runs `task` on the thread once the tasks before it are done. Says
    /// whether the thread took it (it has ended if an earlier task panicked).
    pub fn submit(&self, task: impl FnOnce() + Send + 'static) -> bool {
        self.tasks.send(Box::new(task)).is_ok()
    }

    /// Calls `worker` on the thread with these channels and waits up to
    /// `timeout` for it: what it returned (`None`: still running) and the
    /// jobs it started, in order. `on_job` runs inside `process`, after the
    /// job was recorded.
    pub fn run(
        &self,
        cancel: Receiver<()>,
        jobs: Receiver<u32>,
        mut on_job: impl FnMut(u32) + Send + 'static,
        timeout: Duration,
    ) -> (Option<Stopped>, Vec<u32>) {
        let started = Arc::new(Mutex::new(Vec::new()));
        let (report, result) = mpsc::channel();
        let record = started.clone();
        self.submit(move || {
            let stopped = worker(&cancel, &jobs, |job| {
                record.lock().unwrap_or_else(|e| e.into_inner()).push(job);
                on_job(job);
            });
            let _ = report.send(stopped);
        });
        let stopped = match result.recv_timeout(timeout) {
            Ok(stopped) => Some(stopped),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                failing_means(Category::Panic);
                panic!(
                    "worker() panicked (its message is printed above) instead of returning Stopped::Cancelled \
                     or Stopped::JobsClosed"
                )
            }
        };
        let started = started.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (stopped, started)
    }
}

/// One call of `worker` on a thread of its own, with `u32` jobs. Every job
/// is recorded as started just before the test's own `on_job` runs.
pub struct Running {
    tid: i32,
    started: Arc<Mutex<Vec<u32>>>,
    result: mpsc::Receiver<Stopped>,
    stopped: Option<Stopped>,
}

impl Running {
    /// Starts `worker(&cancel, &jobs, ...)` on a new thread; `on_job` runs
    /// inside `process` for every job, after the job was recorded. Returns
    /// once the thread is running (it may not have called `worker` yet).
    pub fn start(cancel: Receiver<()>, jobs: Receiver<u32>, mut on_job: impl FnMut(u32) + Send + 'static) -> Running {
        let started = Arc::new(Mutex::new(Vec::new()));
        let (tid_tx, tid_rx) = mpsc::channel();
        let (result_tx, result) = mpsc::channel();
        let record = started.clone();
        thread::Builder::new()
            .name("worker".into())
            .spawn(move || {
                let _ = tid_tx.send(current_tid());
                let stopped = worker(&cancel, &jobs, |job| {
                    record.lock().unwrap_or_else(|e| e.into_inner()).push(job);
                    on_job(job);
                });
                let _ = result_tx.send(stopped);
            })
            .expect("could not start the worker thread");
        let tid = tid_rx.recv().expect("the worker thread died at start");
        Running { tid, started, result, stopped: None }
    }

    /// The jobs `process` was called with so far, in call order.
    pub fn started(&self) -> Vec<u32> {
        self.started.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What `worker` returned, if it has returned by now.
    pub fn returned(&mut self) -> Option<Stopped> {
        self.wait(Duration::ZERO)
    }

    /// Waits up to `timeout` for `worker` to return and says what it
    /// returned; `None` if it is still running.
    pub fn wait(&mut self, timeout: Duration) -> Option<Stopped> {
        if self.stopped.is_none() {
            match self.result.recv_timeout(timeout) {
                Ok(stopped) => self.stopped = Some(stopped),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    failing_means(Category::Panic);
                    panic!(
                        "worker() panicked (its message is printed above) instead of returning Stopped::Cancelled \
                         or Stopped::JobsClosed"
                    )
                }
            }
        }
        self.stopped
    }

    /// Waits until `n` jobs have started, up to `timeout` or until the
    /// worker thread has ended; says whether they did.
    pub fn wait_started(&self, n: usize, timeout: Duration) -> bool {
        let count = || self.started.lock().unwrap_or_else(|e| e.into_inner()).len();
        eventually(timeout, || count() >= n || thread_state(self.tid).is_none());
        count() >= n
    }

    /// Looks at the worker thread's scheduler state every few milliseconds
    /// for `window`: how many looks, and the share of them that found it
    /// running or ready to run rather than asleep. A thread in a polling
    /// loop is runnable all the time, however little CPU a busy machine
    /// gives it; a blocked one is asleep.
    pub fn runnable_share(&self, window: Duration) -> (usize, f64) {
        let end = Instant::now() + window;
        let (mut looks, mut runnable) = (0usize, 0usize);
        while Instant::now() < end {
            match thread_state(self.tid) {
                Some(state) => {
                    looks += 1;
                    runnable += usize::from(state == 'R');
                }
                None => break,
            }
            thread::sleep(Duration::from_millis(5));
        }
        (looks, runnable as f64 / looks.max(1) as f64)
    }

    /// Waits until the worker thread has been asleep (blocked) for a while,
    /// which is what an idle worker is; gives up after `timeout`, or as soon
    /// as the thread has ended. Says whether it settled. A worker that polls
    /// never settles: tests go on after the timeout, and the one about
    /// spinning says what it saw.
    pub fn settle_idle(&self, timeout: Duration) -> bool {
        let tid = self.tid;
        settles_asleep(tid, 20, timeout, || thread_state(tid).is_none())
    }
}

/// `0..n` as the jobs a test expects, for messages and comparisons.
pub fn first(n: u32) -> Vec<u32> {
    (0..n).collect()
}

/// Describes a list of started jobs briefly, for failure messages.
pub fn show(jobs: &[u32]) -> String {
    if jobs.len() <= 12 {
        format!("{jobs:?}")
    } else {
        format!("{:?} ... {:?} ({} jobs)", &jobs[..6], &jobs[jobs.len() - 3..], jobs.len())
    }
}
