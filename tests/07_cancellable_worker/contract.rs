//! What `worker` does, one situation at a time.

use crate::support::{Running, Sender, Stopped, TRIALS, WorkerThread, first, show, unbounded};
use testkit::prelude::*;

/// How long a test waits for an idle worker to be seen asleep.
const SETTLE: Duration = Duration::from_secs(2);

/// What a test does to the cancel side.
#[derive(Clone, Copy, PartialEq)]
enum How {
    /// Sends `()` and keeps the sender alive.
    Send,
    /// Drops the last sender.
    Drop,
}

/// Explains a worker that returned before the contract allowed, or the
/// wrong way, with all channels' states in `situation`.
fn unexpected_return(stopped: Stopped, situation: &str) -> String {
    match stopped {
        Stopped::JobsClosed => format!(
            "worker() returned JobsClosed while {situation}. The jobs channel was still open (its Sender \
             alive): an empty channel is not a closed one, more jobs may come. Return JobsClosed only when \
             receiving from jobs fails because it is disconnected and empty (recv() returns Err, or \
             try_recv() returns Err(TryRecvError::Disconnected), not Empty; a recv_timeout() that timed \
             out says nothing about closing either)"
        ),
        Stopped::Cancelled => format!(
            "worker() returned Cancelled while {situation}. Nobody had sent on cancel and its Sender was \
             alive: return Cancelled only when cancel delivers a message or is disconnected"
        ),
    }
}

/// "returned Cancelled", or that it had not returned, for messages.
fn outcome(stopped: Option<Stopped>) -> String {
    match stopped {
        Some(stopped) => format!("returned {stopped:?}"),
        None => "had not returned 5 s later".to_string(),
    }
}

/// Why a worker that was idle did not return after a cancel message.
pub const DEAF: &str = "A worker that blocks on jobs.recv() and looks at cancel only between jobs is deaf while it \
     waits: with no job coming, it never looks again. Wait on both channels in one call \
     (crossbeam_channel::select! with a recv arm for each, or crossbeam_channel::Select), so that whichever \
     is ready first wakes the worker";

/// Checks that `started` is exactly jobs `0..n` in order, and explains
/// the difference otherwise.
fn assert_all_in_order(started: &[u32], n: u32, situation: &str) {
    if started == first(n).as_slice() {
        return;
    }
    let mut sorted = started.to_vec();
    sorted.sort_unstable();
    if sorted == first(n) {
        let at = started.iter().zip(0..).position(|(&s, i)| s != i).unwrap_or(0);
        failing_means(Category::Order);
        panic!(
            "{situation}; process() was called with every job, but out of order: the call #{at} got job {} \
             where job {at} was due (calls: {}). Jobs must be processed in the order they were received: \
             take one job at a time from the channel and process it before taking the next (a Vec used as \
             a stack, or a batch handed to other threads, changes the order)",
            started[at],
            show(started)
        );
    }
    if started.len() < n as usize && started == &first(n)[..started.len()] {
        panic!(
            "{situation}; only the first {} of the {n} jobs were processed ({}). Every job sent on jobs \
             must be processed: a channel whose Sender was dropped still delivers the jobs queued in it, \
             and receiving fails only once it is empty too",
            started.len(),
            show(started)
        );
    }
    panic!(
        "{situation}; process() was called with {} where jobs 0..{n} were due, each exactly once and in \
         order: every job received must be processed once",
        show(started)
    );
}

/// A worker on fresh channels with 5 jobs queued, `cancel` treated
/// `before_start` before the call and `in_first_job` inside the first job's
/// `process`, repeated [`TRIALS`] times. `Ok` if every trial returned
/// Cancelled having started no job (job 0 only, when the cancel comes from
/// inside it); otherwise the first trial that did not, with what it
/// started and returned.
fn trials(before_start: Option<How>, in_first_job: Option<How>) -> Result<(), (usize, Option<Stopped>, Vec<u32>)> {
    const QUEUED: u32 = 5;
    let expected: Vec<u32> = if in_first_job.is_some() { vec![0] } else { vec![] };
    let thread = WorkerThread::new();
    for trial in 1..=TRIALS {
        let (cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        for job in 0..QUEUED {
            let _ = jobs_tx.send(job);
        }
        let mut kept = Some(cancel_tx);
        match before_start {
            Some(How::Send) => kept.as_ref().unwrap().send(()).unwrap(),
            Some(How::Drop) => kept = None,
            None => {}
        }
        let mut in_job: Option<Sender<()>> = if in_first_job.is_some() { kept.take() } else { None };
        let on_job = move |job| {
            if job == 0 {
                match in_first_job {
                    Some(How::Send) => {
                        let _ = in_job.as_ref().map(|tx| tx.send(()));
                    }
                    _ => in_job = None,
                }
            }
        };
        let (stopped, started) = thread.run(cancel_rx, jobs_rx, on_job, GENEROUS);
        // Only now may the jobs channel close: until the worker returned,
        // jobs stayed open, so Cancelled is the only right answer.
        drop((jobs_tx, kept));
        if stopped != Some(Stopped::Cancelled) || started != expected {
            // No return at all, or the due jobs and more after them: the
            // cancel went unheeded. Other jobs first: the order. The right
            // jobs but the wrong answer: a wrong result.
            let unheeded = stopped.is_none() || (started.len() > expected.len() && started.starts_with(&expected));
            failing_means(if unheeded {
                Category::IgnoredCancellation
            } else if !started.is_empty() && !started.starts_with(&expected) {
                Category::Order
            } else {
                Category::WrongResult
            });
            return Err((trial, stopped, started));
        }
    }
    Ok(())
}

hidden_tests! {
    fn runs_every_queued_job_in_order_then_returns_jobs_closed() {
        failing_means(Category::WrongResult);
        const JOBS: u32 = 200;
        let (_cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        for job in 0..JOBS {
            let _ = jobs_tx.send(job);
        }
        drop(jobs_tx);
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        let stopped = run.wait(GENEROUS);
        let started = run.started();
        let situation = format!(
            "{JOBS} jobs were queued and then the jobs Sender was dropped; cancel stayed open and silent"
        );
        match stopped {
            None => panic!(
                "{situation}. 5 s later worker() had not returned ({} jobs processed). Once every queued job \
                 is processed, receiving from the disconnected, empty jobs channel fails (recv() returns \
                 Err): that is when worker() must return JobsClosed",
                started.len()
            ),
            Some(Stopped::Cancelled) => panic!("{}", unexpected_return(Stopped::Cancelled, &situation)),
            Some(Stopped::JobsClosed) => {}
        }
        assert_all_in_order(&started, JOBS, &format!("{situation}; worker() returned JobsClosed"));
    }

    fn jobs_that_arrive_one_at_a_time_are_all_run_before_jobs_closed() {
        failing_means(Category::WrongResult);
        // Each job is sent only once the one before has started, so the
        // queue is empty between jobs; halfway, the worker is left idle
        // until it is seen asleep.
        const JOBS: u32 = 10;
        let (_cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        for job in 0..JOBS {
            if job == JOBS / 2 {
                run.settle_idle(SETTLE);
            }
            if let Some(stopped) = run.returned() {
                panic!(
                    "{}",
                    unexpected_return(
                        stopped,
                        &format!(
                            "jobs were arriving one at a time ({job} of {JOBS} sent, the next one coming) and \
                             cancel was open and silent"
                        )
                    )
                );
            }
            let _ = jobs_tx.send(job);
            if !run.wait_started(job as usize + 1, GENEROUS) {
                break;
            }
        }
        drop(jobs_tx);
        let stopped = run.wait(GENEROUS);
        let started = run.started();
        let situation = format!(
            "{JOBS} jobs were sent one at a time, each after the previous one had started, and then the \
             jobs Sender was dropped; cancel stayed open and silent"
        );
        match stopped {
            None => panic!(
                "{situation}. 5 s after the Sender was dropped worker() had not returned ({} jobs processed): \
                 it must return JobsClosed once receiving from jobs fails",
                started.len()
            ),
            Some(Stopped::Cancelled) => panic!("{}", unexpected_return(Stopped::Cancelled, &situation)),
            Some(Stopped::JobsClosed) => {}
        }
        assert_all_in_order(&started, JOBS, &situation);
    }

    fn an_idle_worker_keeps_waiting_while_both_channels_are_open() {
        failing_means(Category::WrongResult);
        let (cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        run.settle_idle(SETTLE);
        if let Some(stopped) = run.returned() {
            panic!("{}", unexpected_return(stopped, "no job had been sent yet and cancel was silent"));
        }
        let _ = jobs_tx.send(0);
        assert!(
            run.wait_started(1, GENEROUS),
            "a job was sent to a worker that was waiting for one, and 5 s later process() had not been \
             called: a waiting worker must take a job as soon as one arrives"
        );
        run.settle_idle(SETTLE);
        if let Some(stopped) = run.returned() {
            panic!(
                "{}",
                unexpected_return(stopped, "the worker had processed the one job sent and cancel was silent")
            );
        }
        let _ = cancel_tx.send(());
        match run.wait(GENEROUS) {
            Some(Stopped::Cancelled) => {}
            None => {
                failing_means(Category::IgnoredCancellation);
                panic!(
                    "the worker had processed the only job and was waiting for the next one when cancel received \
                     a message; 5 s later worker() had not returned. {DEAF}"
                )
            }
            Some(Stopped::JobsClosed) => panic!(
                "the worker was idle when cancel received a message, and worker() returned JobsClosed; the \
                 jobs channel was still open. A message on cancel means Stopped::Cancelled"
            ),
        }
        drop(jobs_tx);
    }

    fn a_cancel_message_stops_an_idle_worker() {
        failing_means(Category::WrongResult);
        let (cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        let _ = jobs_tx.send(0);
        run.wait_started(1, GENEROUS);
        run.settle_idle(SETTLE);
        if let Some(stopped) = run.returned() {
            panic!("{}", unexpected_return(stopped, "the worker had processed the one job sent and cancel was silent"));
        }
        let _ = cancel_tx.send(());
        match run.wait(GENEROUS) {
            Some(Stopped::Cancelled) => {}
            None => {
                failing_means(Category::IgnoredCancellation);
                panic!(
                    "the worker had processed the only job and was waiting for the next one when cancel received \
                     a message; 5 s later worker() had not returned. {DEAF}"
                )
            }
            Some(Stopped::JobsClosed) => panic!(
                "the worker was idle when cancel received a message, and worker() returned JobsClosed; the \
                 jobs channel was still open. A message on cancel means Stopped::Cancelled"
            ),
        }
        drop(jobs_tx);
    }

    fn dropping_the_cancel_sender_stops_an_idle_worker() {
        failing_means(Category::WrongResult);
        let (cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        let _ = jobs_tx.send(0);
        run.wait_started(1, GENEROUS);
        run.settle_idle(SETTLE);
        if let Some(stopped) = run.returned() {
            panic!("{}", unexpected_return(stopped, "the worker had processed the one job sent and cancel was silent"));
        }
        drop(cancel_tx);
        match run.wait(GENEROUS) {
            Some(Stopped::Cancelled) => {}
            None => {
                failing_means(Category::IgnoredCancellation);
                let looping = !run.settle_idle(Duration::from_millis(300));
                panic!(
                    "the worker was idle when the last Sender of cancel was dropped; 5 s later worker() had not \
                     returned{}. A disconnected cancel channel is a cancellation: nobody is left who could let \
                     the worker go on, and the contract says to return Cancelled. A disconnected channel is \
                     always ready: its select! arm fires at once with Err(RecvError), every time. Return \
                     Cancelled on that arm whatever it received; ignoring the Err loops straight back into a \
                     select! that fires again (a spin), and swapping cancel for never() waits forever",
                    if looping { " (and its thread was busy, not asleep: it was looping)" } else { "" }
                )
            }
            Some(Stopped::JobsClosed) => panic!(
                "the worker was idle when the last Sender of cancel was dropped, and worker() returned \
                 JobsClosed, but the jobs channel was still open. It is cancel that was disconnected, and a \
                 disconnected cancel is a cancellation: return Stopped::Cancelled"
            ),
        }
        drop(jobs_tx);
    }

    fn no_job_starts_when_a_cancel_message_is_already_waiting() {
        failing_means(Category::IgnoredCancellation);
        if let Err((trial, stopped, started)) = trials(Some(How::Send), None) {
            panic!(
                "trial {trial} of {TRIALS}: 5 jobs were queued and a cancel message was already waiting when \
                 worker() was called; it started {} and {}. Once cancellation is \
                 visible, no job may start, and Cancelled must come back. When both channels are ready, \
                 select! picks one of them at random, so a plain select! loop starts a job about half of the \
                 time: before starting a job, look at cancel again (try_recv) and stop if it has a message or \
                 is disconnected",
                if started.is_empty() { "no job".to_string() } else { format!("jobs {}", show(&started)) },
                outcome(stopped)
            );
        }
    }

    fn no_job_starts_when_the_cancel_sender_is_already_gone() {
        failing_means(Category::IgnoredCancellation);
        if let Err((trial, stopped, started)) = trials(Some(How::Drop), None) {
            panic!(
                "trial {trial} of {TRIALS}: 5 jobs were queued and the cancel Sender had already been dropped \
                 when worker() was called; it started {} and {}. A disconnected \
                 cancel is a cancellation, visible from the start: no job may start, and Cancelled must come \
                 back. Checking cancel with is_empty() or with `try_recv().is_ok()` misses it (a disconnected \
                 channel is empty); match try_recv() and treat Err(TryRecvError::Disconnected) like a message",
                if started.is_empty() { "no job".to_string() } else { format!("jobs {}", show(&started)) },
                outcome(stopped)
            );
        }
    }

    fn no_further_job_starts_after_a_job_sends_cancel() {
        failing_means(Category::IgnoredCancellation);
        if let Err((trial, stopped, started)) = trials(None, Some(How::Send)) {
            panic!(
                "trial {trial} of {TRIALS}: 5 jobs were queued; process() of job 0 sent a cancel message. The \
                 worker then started {} and {}, where only job 0 may start and \
                 Cancelled must come back: after job 0 both channels were ready, and the cancel was visible. \
                 select! picks at random among ready channels, so look at cancel again (try_recv) before \
                 starting each job",
                show(&started),
                outcome(stopped)
            );
        }
    }

    fn no_further_job_starts_after_a_job_drops_the_cancel_sender() {
        failing_means(Category::IgnoredCancellation);
        if let Err((trial, stopped, started)) = trials(None, Some(How::Drop)) {
            panic!(
                "trial {trial} of {TRIALS}: 5 jobs were queued; process() of job 0 dropped the last cancel \
                 Sender. The worker then started {} and {}, where only job 0 may \
                 start and Cancelled must come back: a disconnected cancel is a cancellation. When you look at \
                 cancel before starting a job, treat Err(TryRecvError::Disconnected) like a message \
                 (is_empty() and `try_recv().is_ok()` both miss it)",
                show(&started),
                outcome(stopped)
            );
        }
    }

    fn returns_jobs_closed_once_jobs_is_disconnected_and_empty() {
        failing_means(Category::WrongResult);
        // Closed and empty from the start.
        let (_cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded::<u32>();
        drop(jobs_tx);
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        let stopped = run.wait(GENEROUS);
        assert_eq!(
            stopped,
            Some(Stopped::JobsClosed),
            "worker() was called on a jobs channel whose Sender was already dropped and which held no job, \
             with cancel open and silent: it must return JobsClosed at once (None means it had not returned \
             after 5 s)"
        );

        // Closed while the worker waits.
        let (_cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        let _ = jobs_tx.send(0);
        run.wait_started(1, GENEROUS);
        run.settle_idle(SETTLE);
        if let Some(stopped) = run.returned() {
            panic!("{}", unexpected_return(stopped, "the worker had processed the one job sent and cancel was silent"));
        }
        drop(jobs_tx);
        match run.wait(GENEROUS) {
            Some(Stopped::JobsClosed) => {}
            None => panic!(
                "the worker was idle (one job done) when the jobs Sender was dropped; 5 s later worker() had \
                 not returned. A disconnected, empty jobs channel wakes a waiting select! with Err: return \
                 JobsClosed then"
            ),
            Some(Stopped::Cancelled) => panic!("{}", unexpected_return(Stopped::Cancelled, "the jobs Sender was dropped")),
        }
        assert_eq!(run.started(), vec![0], "the worker processed one job, yet process() calls were {:?}", run.started());
    }
}
