//! Schedule exploration for exercise 07: the learner's `worker`, rebuilt on
//! shuttle's threads and on a model of crossbeam-channel that runs on
//! shuttle's scheduler (see `xtask/src/engine/explore.rs`), under thousands
//! of chosen interleavings.
//!
//! The lesson's promise is that no job starts once a cancellation is
//! visible. The ordinary tests send the cancel before the call or from
//! inside a job, so the worker always finds it waiting at its next look. A
//! cancel that arrives from another thread *between* two of the worker's
//! steps is what they cannot time: a worker that looks at cancel before its
//! `select!` (or before a blocking `recv`) and not after the job was handed
//! over takes a job that was sent after the cancel only when the cancel and
//! the job both land between its look and its take, a window a few
//! instructions wide. Here every channel operation is a point where the
//! scheduler may switch threads, and `select!`'s random choice is one of
//! the scheduler's choices too, so the window is found within a few
//! schedules, on every run.
//!
//! Each test has one thread feeding the channels while the worker runs on
//! another. A job sent after the cancel must never start (the cancel was in
//! its channel before the job was in `jobs`, so it was visible when the
//! worker took the job); a job sent before it may start or not. When nobody
//! cancels and `jobs` closes, every job must start, in order, and the
//! worker must return `JobsClosed`, also after a pause in which it waits
//! for the next job (on the virtual clock: no real time passes, and a timed
//! wait that runs out there is one that would run out for real).
//!
//! Shuttle fails a schedule on its own in two ways, which the test's code
//! never gets to look at: a deadlock (every thread blocked: the worker
//! waiting although a cancel or the end of the jobs was there for it) and
//! a thread cut off after a million steps (a worker that polls and starves
//! the feeding thread). So the category that stands while the feeding
//! thread cannot block is `BusyWait`, the one while it waits for the worker
//! is the scenario's, and a check that fails declares its own ([`fail`]).
//!
//! Limit: the model's `select!` looks at all its channels in one step, so
//! `select_biased!` with cancel first and no re-check passes here, although
//! the real crate tries the channels one after another and a cancel and a
//! job that land between its two tries hand over the job.
//!
//! Only the public API is used: any style that keeps the promise passes (a
//! `select!` with a re-check before each job, `Select`, `select_biased!`
//! with a re-check, a loop of `try_recv` and `recv_timeout`).
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p cancellable_worker_tests`.

use cancellable_worker::{Stopped, worker};
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::Duration;
use testkit::explore::time::sleep;
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// A jobs channel of this capacity (`None`: unbounded).
fn jobs_channel(capacity: Option<usize>) -> (Sender<u32>, Receiver<u32>) {
    match capacity {
        None => unbounded(),
        Some(n) => bounded(n),
    }
}

fn describe(capacity: Option<usize>) -> String {
    match capacity {
        None => "an unbounded jobs channel".to_string(),
        Some(0) => "a zero-capacity jobs channel".to_string(),
        Some(n) => format!("a jobs channel of capacity {n}"),
    }
}

/// Starts `worker(&cancel, &jobs, ...)` on a shuttle thread of its own that
/// records every job `process` is called with; joining it gives what
/// `worker` returned and those jobs, in call order. The thread drops both
/// receivers once `worker` returns, so that a send into a full channel
/// fails instead of waiting for ever.
fn start_worker(cancel: Receiver<()>, jobs: Receiver<u32>) -> shuttle::thread::JoinHandle<(Stopped, Vec<u32>)> {
    shuttle::thread::Builder::new()
        .name("worker".into())
        .spawn(move || {
            let mut started = Vec::new();
            let stopped = catch_unwind(AssertUnwindSafe(|| worker(&cancel, &jobs, |job| started.push(job))));
            drop((cancel, jobs));
            match stopped {
                Ok(stopped) => (stopped, started),
                Err(panic) => {
                    failing_means(Category::Panic);
                    resume_unwind(panic)
                }
            }
        })
        .expect("could not start the worker thread")
}

/// Waits for the worker thread, passing on its panic.
fn join(worker: shuttle::thread::JoinHandle<(Stopped, Vec<u32>)>) -> (Stopped, Vec<u32>) {
    match worker.join() {
        Ok(outcome) => outcome,
        Err(panic) => {
            failing_means(Category::Panic);
            resume_unwind(panic)
        }
    }
}

/// Fails the running schedule as `category`, declared only at the moment a
/// check fails: until then the category must be the one a deadlock falls
/// under.
fn fail(category: Category, message: String) -> ! {
    failing_means(category);
    panic!("{message}");
}

/// Sends job 0, then fires cancel (a message, or dropping its only
/// Sender), then jobs 1 and 2, from this thread while the worker runs; the
/// jobs channel stays open. Job 0 may start or not; jobs 1 and 2 were sent
/// after the cancel and must not; the worker must return `Cancelled`.
fn no_job_sent_after_the_cancel_starts(capacity: Option<usize>, by_drop: bool) {
    let situation = format!(
        "with {}, one thread sent job 0, then {}, then jobs 1 and 2, and kept the jobs channel open",
        describe(capacity),
        if by_drop { "dropped the only cancel Sender" } else { "sent a cancel message" },
    );
    // Until the cancel fires, this thread never waits for the worker (the
    // jobs channel has room for job 0), so shuttle can fail the schedule
    // here only by cutting off a worker that never stops running: a
    // polling loop that keeps this thread from ever getting a turn.
    failing_means(Category::BusyWait);
    let (cancel_tx, cancel_rx) = unbounded::<()>();
    let (jobs_tx, jobs_rx) = jobs_channel(capacity);
    let running = start_worker(cancel_rx, jobs_rx);
    let _ = jobs_tx.send(0);
    let mut cancel_tx = Some(cancel_tx);
    if by_drop {
        // Dropping a Sender is not a point where the model lets another
        // thread run, as every send is: make one, so that the worker may
        // take job 0 and look at cancel before the drop, as real threads may.
        shuttle::thread::yield_now();
        cancel_tx = None;
    } else if let Some(tx) = &cancel_tx {
        let _ = tx.send(());
    }
    // From here on, a worker that never returns has not heeded the cancel.
    failing_means(Category::IgnoredCancellation);
    for job in 1..3 {
        if jobs_tx.send(job).is_err() {
            break; // the worker has returned
        }
    }
    let (stopped, started) = join(running);
    drop((cancel_tx, jobs_tx));
    if started.iter().any(|&job| job > 0) {
        fail(
            Category::IgnoredCancellation,
            format!(
                "{situation}. The worker started jobs {started:?} and returned {stopped:?}: a job sent after \
                 the cancel started, although the cancel was already there when the worker took that job. \
                 Looking at cancel before select! (or trusting select_biased! to look at it first) leaves a \
                 gap: a cancel and a job can both arrive between that look and the moment the job is taken, \
                 and then the job is handed over. Look at cancel once more after a job has been handed to you \
                 and before you start it (cancel.try_recv(): a message or Err(TryRecvError::Disconnected) \
                 both mean stop)"
            ),
        );
    }
    if stopped != Stopped::Cancelled {
        fail(
            Category::WrongResult,
            format!(
                "{situation}. The worker returned {stopped:?} after starting jobs {started:?}, but the jobs \
                 channel was never closed: a cancel{} must give Stopped::Cancelled",
                if by_drop { " by a dropped Sender (recv on cancel returning Err)" } else { "" }
            ),
        );
    }
}

/// Sends jobs 0 and 1, pauses a virtual second, sends job 2, then drops
/// the jobs Sender, from this thread while the worker runs; cancel stays
/// open and silent. Every job must
/// start, in order, and the worker must return `JobsClosed`.
fn every_job_runs_before_jobs_closed(capacity: Option<usize>) {
    let situation = format!(
        "with {}, one thread sent jobs 0 and 1, waited a second, sent job 2 and then dropped the jobs \
         Sender; nobody cancelled",
        describe(capacity)
    );
    // Until the jobs Sender is dropped, this thread never waits for the
    // worker (the channel is unbounded, and a pause on the virtual clock
    // ends once every thread waits), so shuttle can fail the schedule here
    // only by cutting off a worker that never stops running: a polling
    // loop that keeps this thread from ever getting a turn.
    failing_means(Category::BusyWait);
    let (cancel_tx, cancel_rx) = unbounded::<()>();
    let (jobs_tx, jobs_rx) = jobs_channel(capacity);
    let running = start_worker(cancel_rx, jobs_rx);
    for job in 0..3 {
        if job == 2 {
            // A pause with nothing to do: the worker waits, and the virtual
            // clock moves on (no real time passes). An empty channel whose
            // Sender is alive is not closed, however long it stays empty.
            sleep(Duration::from_secs(1));
        }
        if jobs_tx.send(job).is_err() {
            break; // the worker has returned
        }
    }
    drop(jobs_tx);
    // From here on, a worker that never comes back has missed the end of
    // the jobs.
    failing_means(Category::WrongResult);
    let (stopped, started) = join(running);
    drop(cancel_tx);
    let want = vec![0, 1, 2];
    if started != want {
        let category = if want.starts_with(&started) {
            Category::WrongResult
        } else if started.len() == want.len() {
            Category::Order
        } else {
            Category::WrongResult
        };
        fail(
            category,
            format!(
                "{situation}. The worker started jobs {started:?} and returned {stopped:?}; exactly jobs \
                 {want:?}, in that order, then JobsClosed were due. An empty jobs channel whose Sender is \
                 alive is not closed, however long it stays empty (more jobs may come): wait for the next \
                 job instead of stopping (a recv_timeout that runs out says nothing about the Sender), and \
                 run every job once, in the order received"
            ),
        );
    }
    if stopped != Stopped::JobsClosed {
        fail(
            Category::WrongResult,
            format!(
                "{situation}. The worker started every job and returned {stopped:?}: with cancel silent and \
                 its Sender alive, only the jobs channel closing can end the call, so Stopped::JobsClosed was \
                 due"
            ),
        );
    }
}

hidden_tests! {
    fn explored_no_job_starts_after_a_cancel_message_in_every_schedule() {
        failing_means(Category::BusyWait);
        explore(
            "cancellable_worker",
            "explored_no_job_starts_after_a_cancel_message_in_every_schedule",
            Budget::default(),
            "once a cancel is visible no job may start, whatever the order in which the threads run: a job sent \
             after the cancel message must never start, and the worker must return Stopped::Cancelled. select! picks \
             at random among ready channels, so a job may be handed over while a cancel waits; and a look at cancel \
             made before select! says nothing about a cancel that arrives just after it. Look at cancel (try_recv) \
             after select! handed you a job and before you start it. If the schedule was cut off with the worker \
             still running (a spin loop), it polls: wait in select! (or Select), which blocks, instead of going \
             round a loop of try_recv or a select! with a default arm.",
            || no_job_sent_after_the_cancel_starts(None, false),
        );
    }

    fn explored_no_job_starts_after_cancel_is_dropped_in_every_schedule() {
        failing_means(Category::BusyWait);
        explore(
            "cancellable_worker",
            "explored_no_job_starts_after_cancel_is_dropped_in_every_schedule",
            Budget::default(),
            "a dropped cancel Sender is a cancellation too, whatever the order in which the threads run: a job sent \
             after it must never start, and the worker must return Stopped::Cancelled (not JobsClosed: the jobs \
             channel is still open). A disconnected cancel is empty, so cancel.is_empty() and try_recv().is_ok() \
             miss it: treat Err(TryRecvError::Disconnected) as stop, and look at cancel after select! handed you a \
             job and before you start it. If the schedule was cut off with the worker still running (a spin loop), \
             it polls: wait in select! (or Select), which blocks, instead of going round a loop of try_recv or a \
             select! with a default arm.",
            || no_job_sent_after_the_cancel_starts(Some(1), true),
        );
    }

    fn explored_every_job_runs_before_jobs_closed_in_every_schedule() {
        failing_means(Category::BusyWait);
        explore(
            "cancellable_worker",
            "explored_every_job_runs_before_jobs_closed_in_every_schedule",
            Budget::default(),
            "when nobody cancels, every job sent must start once, in order, and the worker must return \
             Stopped::JobsClosed only once the jobs Sender is gone and the queue is empty, whatever the order in \
             which the threads run, also when the worker waits a while for the next job. An empty queue is not a \
             closed one, nor is a recv_timeout that ran out: only recv (or the select! arm) returning Err means \
             closed. If the schedule was cut off with the worker still running (a spin loop), it polls: wait in \
             select! (or Select), which blocks, instead of going round a loop of try_recv or a select! with a \
             default arm.",
            || every_job_runs_before_jobs_closed(None),
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
