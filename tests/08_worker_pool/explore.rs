//! Schedule exploration for exercise 08: the learner's `Pool`, rebuilt on
//! shuttle's threads, locks, Condvars, atomics and channels (a crossbeam
//! channel included, through the model of it; see
//! `xtask/src/engine/explore.rs`), run under thousands of chosen
//! interleavings.
//!
//! A pool's mistakes hide at its two edges: when a worker runs out of work,
//! and when the pool ends. A worker that looks at the queue under one lock
//! and at the closed flag under another can stop with jobs still queued; a
//! closed flag set without the queue's lock can slip its wake-up between a
//! worker's last look and its wait, and that worker sleeps for ever. Each is
//! a window of a few instructions that the real-thread tests' workers
//! almost never stand in at the moment the pool ends; a scheduler that may
//! switch threads at every lock, wait, notify, channel operation and spawn
//! puts a worker there within a few schedules, and does so on every run.
//!
//! The tests use the public API only, so any correct style passes: a
//! crossbeam channel, std's mpsc with a shared Receiver, a Mutex<VecDeque>
//! and a Condvar, a Stop message per worker. (The issue also asks for
//! "submit after shutdown returns Err(Closed)": that cannot be written, since
//! `shutdown` takes the pool by value and `drop` runs only when nothing
//! borrows it, so no test can call `submit` on a pool that is ending.)
//!
//! A deadlock is shuttle seeing every thread blocked, a failure the test's
//! code never gets to look at; so each test declares, as it goes, what a
//! deadlock at that point would mean.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p worker_pool_tests`.

use shuttle::sync::atomic::{AtomicUsize, Ordering};
use shuttle::sync::{Arc, Condvar, Mutex};
use std::panic::{AssertUnwindSafe, catch_unwind};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};
use worker_pool::{Closed, Pool};

/// Fails the running schedule as `category`. Declared only here, at the
/// moment a check fails, because until then the test's category has to be
/// the one shuttle's own failure (every thread blocked) falls under.
fn fail(category: Category, message: String) -> ! {
    failing_means(category);
    panic!("{message}");
}

/// The two ways a pool ends; the contract asks the same of both.
#[derive(Clone, Copy)]
enum Ending {
    Shutdown,
    Drop,
}

impl Ending {
    fn end(self, pool: Pool) {
        match self {
            Ending::Shutdown => pool.shutdown(),
            Ending::Drop => drop(pool),
        }
    }

    fn call(self) -> &'static str {
        match self {
            Ending::Shutdown => "pool.shutdown()",
            Ending::Drop => "drop(pool)",
        }
    }
}

/// A gate that starts closed; a job waits at it until the test opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    fn pass(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }
}

/// What the jobs of one pool did: how many began, and the number of each
/// that finished (recorded as its last step).
#[derive(Default)]
struct Runs {
    started: AtomicUsize,
    finished: Mutex<Vec<usize>>,
}

impl Runs {
    fn seen(&self) -> (usize, Vec<usize>) {
        (self.started.load(Ordering::SeqCst), self.finished.lock().unwrap().clone())
    }
}

/// Submits `job`, failing the schedule if a live pool refuses it.
fn submit(pool: &Pool, job: impl FnOnce() + Send + 'static) {
    if pool.submit(job) == Err(Closed) {
        fail(
            Category::WrongResult,
            "submit returned Err(Closed) on a live pool: a pool accepts every job until it is ended".to_string(),
        );
    }
}

/// Lets any thread the pool left behind run a while, so that a job which
/// begins only after the pool was ended shows.
fn let_stragglers_run(steps: usize) {
    for _ in 0..steps {
        shuttle::thread::yield_now();
    }
}

/// A pool of `workers` gets `jobs` numbered jobs, the first held at a gate
/// so that the others are still queued when the pool is ended (`ending`, on
/// a thread of its own, while the test opens the gate). When the ending call
/// returns, every job must have run exactly once and none may run after.
fn queued_jobs_all_run_before_the_pool_ends(workers: usize, jobs: usize, ending: Ending) {
    // A deadlock before the pool is being ended: new or submit waits for
    // something only a later step could give.
    failing_means(Category::NotConcurrent);
    let runs = Arc::new(Runs::default());
    let gate = Arc::new(Gate::default());
    let pool = Pool::new(workers);
    for i in 0..jobs {
        let (runs, gate) = (runs.clone(), gate.clone());
        submit(&pool, move || {
            runs.started.fetch_add(1, Ordering::SeqCst);
            if i == 0 {
                gate.pass();
            }
            runs.finished.lock().unwrap().push(i);
        });
    }
    let at_return = runs.clone();
    let ender = shuttle::thread::spawn(move || {
        let ended = catch_unwind(AssertUnwindSafe(|| ending.end(pool)));
        (ended.is_ok(), at_return.seen())
    });
    // From here a deadlock is the ending call waiting for workers that wait
    // for a job (joined before the queue was closed), or for a worker that
    // slept through the news that the queue closed.
    failing_means(Category::Deadlock);
    shuttle::thread::yield_now();
    gate.open();
    let (ended, (started, finished)) = ender.join().unwrap_or_else(|_| {
        fail(Category::Panic, format!("the thread calling {} panicked outside of it", ending.call()))
    });
    if !ended {
        fail(
            Category::Panic,
            format!(
                "{} panicked. Ending a pool must not panic: with every job run inside catch_unwind no worker \
                 panics, so joining them all succeeds",
                ending.call()
            ),
        );
    }
    let call = ending.call();
    if started > finished.len() {
        fail(
            Category::LeakedThread,
            format!(
                "{call} returned while {} job(s) were still running (a pool of {workers}, {jobs} jobs, the first \
                 held at a gate): it must join every worker, and a worker ends only once the queue is closed \
                 and empty, so joining them all waits for every job",
                started - finished.len()
            ),
        );
    }
    let_stragglers_run(4 * jobs);
    let (later, _) = runs.seen();
    if later > started {
        fail(
            Category::LeakedThread,
            format!(
                "{} job(s) began after {call} had returned (a pool of {workers}, {jobs} jobs, the first held at a \
                 gate): a worker was still running, unjoined. Ending the pool must join every worker's \
                 JoinHandle, after closing the queue",
                later - started
            ),
        );
    }
    let mut ran = finished.clone();
    ran.sort();
    if ran != (0..jobs).collect::<Vec<_>>() {
        fail(
            Category::WrongResult,
            format!(
                "when {call} returned, the jobs that had run were {finished:?} out of 0..{jobs} (a pool of \
                 {workers}, the first job held at a gate, the others still queued when the pool was ended): \
                 every submitted job must run exactly once before the pool's end returns"
            ),
        );
    }
}

/// How many jobs are running now, and the most there ever were.
#[derive(Default)]
struct Gauge {
    running: Mutex<(usize, usize)>,
}

impl Gauge {
    fn enter(&self) {
        let mut running = self.running.lock().unwrap();
        running.0 += 1;
        running.1 = running.1.max(running.0);
    }

    fn leave(&self) {
        self.running.lock().unwrap().0 -= 1;
    }

    fn max(&self) -> usize {
        self.running.lock().unwrap().1
    }
}

/// Jobs `0..workers` wait for each other (so they can only finish if that
/// many run at once); one more job just runs. The pool must run all of them,
/// never more than `workers` at a time.
fn as_many_jobs_as_workers_run_at_once_and_never_more(workers: usize) {
    let jobs = workers + 1;
    // A deadlock while the first jobs wait for each other: they were not
    // all running at the same time.
    failing_means(Category::NotConcurrent);
    let gauge = Arc::new(Gauge::default());
    let meeting = Arc::new((Mutex::new(0usize), Condvar::new()));
    let runs = Arc::new(Runs::default());
    let pool = Pool::new(workers);
    for i in 0..jobs {
        let (gauge, meeting, runs) = (gauge.clone(), meeting.clone(), runs.clone());
        submit(&pool, move || {
            runs.started.fetch_add(1, Ordering::SeqCst);
            gauge.enter();
            if i < workers {
                let (arrived, all_here) = &*meeting;
                let mut arrived = arrived.lock().unwrap();
                *arrived += 1;
                all_here.notify_all();
                while *arrived < workers {
                    arrived = all_here.wait(arrived).unwrap();
                }
                drop(arrived);
            } else {
                shuttle::thread::yield_now();
            }
            gauge.leave();
            runs.finished.lock().unwrap().push(i);
        });
    }
    // The test waits for the meeting before it ends the pool, so that the
    // meeting is about how many jobs run at once, not about how the pool
    // ends.
    {
        let (arrived, all_here) = &*meeting;
        let mut arrived = arrived.lock().unwrap();
        while *arrived < workers {
            arrived = all_here.wait(arrived).unwrap();
        }
    }
    failing_means(Category::Deadlock);
    pool.shutdown();
    let max = gauge.max();
    if max > workers {
        fail(
            Category::TooConcurrent,
            format!(
                "a pool of {workers} workers ran {max} jobs at the same time: no more than `workers` jobs may run \
                 at once. Start exactly `workers` threads (`0..workers`, not `0..=workers`), run each job on the \
                 worker that took it, and never start a thread per job"
            ),
        );
    }
    let (started, finished) = runs.seen();
    let mut ran = finished.clone();
    ran.sort();
    if started != jobs || ran != (0..jobs).collect::<Vec<_>>() {
        fail(
            Category::WrongResult,
            format!(
                "when pool.shutdown() returned, {started} job(s) had begun and these had finished: {finished:?}, \
                 out of 0..{jobs}: every submitted job runs exactly once before shutdown returns"
            ),
        );
    }
}

/// What goes wrong at a pool's end, and how to fix it: shared by the two
/// tests of ending.
const ENDING: &str = "every job still queued when the pool is ended must run, and the ending call must return \
                      only once they all have, with every worker joined, whatever the order in which the \
                      threads run. A worker should stop only when the queue is closed AND empty, seen in one \
                      look: a channel's recv() returning Err says exactly that; with a Mutex<VecDeque> and a \
                      Condvar, pop the job, and only if there is none check the closed flag, under the same \
                      guard, and wait on that same guard (a worker that found the queue empty under one lock and \
                      reads `closed` under another stops with the jobs that came in between). If every thread \
                      was blocked, the pool was ended by joining workers that still wait for a job: close the \
                      queue first (drop the Sender, or set `closed` and notify_all), then join; and a `closed` \
                      flag must be set under the queue's lock (not as a separate atomic), or its notify_all can \
                      land between a worker's last look and its wait, and that worker sleeps for ever.";

hidden_tests! {
    fn explored_shutdown_runs_every_queued_job_in_every_schedule() {
        failing_means(Category::WrongResult);
        explore(
            "worker_pool",
            "explored_shutdown_runs_every_queued_job_in_every_schedule",
            Budget::default(),
            &format!("(a pool of 1 worker, 3 jobs, ended with pool.shutdown()) {ENDING}"),
            || queued_jobs_all_run_before_the_pool_ends(1, 3, Ending::Shutdown),
        );
    }

    fn explored_dropping_the_pool_runs_every_queued_job_in_every_schedule() {
        failing_means(Category::WrongResult);
        explore(
            "worker_pool",
            "explored_dropping_the_pool_runs_every_queued_job_in_every_schedule",
            Budget::default(),
            &format!("(a pool of 2 workers, 3 jobs, ended with drop(pool)) {ENDING}"),
            || queued_jobs_all_run_before_the_pool_ends(2, 3, Ending::Drop),
        );
    }

    fn explored_never_more_than_workers_jobs_at_once_in_every_schedule() {
        failing_means(Category::TooConcurrent);
        explore(
            "worker_pool",
            "explored_never_more_than_workers_jobs_at_once_in_every_schedule",
            Budget::default(),
            "a pool of 2 workers gets 3 jobs, the first two waiting for each other: whatever the order in which \
             the threads run, the first two must run at the same time, and never more than 2 jobs at once. If \
             every thread was blocked while the two waited, they did not run at once: start `workers` threads, \
             and have each take a job in a statement of its own and let go of the queue's lock before running it \
             (a worker that runs its job while holding the lock on a shared Receiver or queue keeps the others \
             from taking one). If every thread was blocked after they met, the pool's end waits for workers that \
             still wait for a job: close the queue, then join every worker.",
            || as_many_jobs_as_workers_run_at_once_and_never_more(2),
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
