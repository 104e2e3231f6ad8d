//! An idle worker sleeps: it costs no CPU while no job and no cancel come.

use crate::contract::DEAF;
use crate::support::{Running, Stopped, unbounded};
use testkit::prelude::*;

/// How long the idle worker's CPU time is measured.
const WINDOW: Duration = Duration::from_millis(400);
/// How long its thread's scheduler state is sampled, before that.
const STATES: Duration = Duration::from_millis(300);

hidden_tests! {
    fn an_idle_worker_blocks_instead_of_spinning() {
        failing_means(Category::WrongResult);
        let (cancel_tx, cancel_rx) = unbounded::<()>();
        let (jobs_tx, jobs_rx) = unbounded();
        let mut run = Running::start(cancel_rx, jobs_rx, |_| {});
        // One job first, so the worker is past its start and back in its
        // loop, waiting for the next job.
        let _ = jobs_tx.send(0);
        let took_job = run.wait_started(1, GENEROUS);
        // A blocked worker is seen asleep within milliseconds; a polling one
        // never is, and is measured after the timeout anyway.
        run.settle_idle(Duration::from_secs(1));
        let early = run.returned();
        // Two views of the idle worker, one after the other. The scheduler's
        // state of its thread: a polling loop is always running or ready to
        // run, however small a share of a core a crowded machine gives it
        // (a loop that yields may get almost none). And the CPU the process
        // uses, against a spinning yardstick of the test's own.
        let watch = took_job && early.is_none();
        let (looks, runnable) = if watch { run.runnable_share(STATES) } else { (0, 0.0) };
        let measured = watch.then(|| measure_waiting_cpu(WINDOW));
        let _ = cancel_tx.send(());
        let stopped = run.wait(GENEROUS);
        drop(jobs_tx);

        assert!(
            took_job,
            "a job was sent to a worker that was waiting for one, and 5 s later process() had not been called"
        );
        if let Some(stopped) = early {
            panic!(
                "worker() returned {stopped:?} after its first job while jobs and cancel were both open and \
                 silent: it must wait for the next job or a cancel"
            );
        }
        let measured = measured.unwrap();
        failing_means(Category::BusyWait);
        assert!(
            looks < 5 || runnable < 0.75,
            "while the worker was idle (no job queued, no cancel, both channels open), its thread was running \
             or ready to run in {:.0}% of {looks} looks over {} ms, instead of asleep. An idle worker must \
             block: one select! (or Select) over both channels puts the thread to sleep until either has \
             something. A loop that tries try_recv() on each channel and goes round again, even with \
             yield_now() or spin_loop(), keeps a core busy for as long as no job comes",
            runnable * 100.0,
            STATES.as_millis()
        );
        assert!(
            !measured.looks_like_spinning(),
            "while the worker was idle (no job queued, no cancel, both channels open) it {}. An idle worker \
             must block: one select! (or Select) over both channels puts the thread to sleep until either \
             has something. A loop that tries try_recv() on each channel and goes round again, even with \
             yield_now() or spin_loop(), burns a core for as long as no job comes",
            measured.describe()
        );
        failing_means(Category::WrongResult);
        match stopped {
            Some(Stopped::Cancelled) => {}
            None => {
                failing_means(Category::IgnoredCancellation);
                panic!("the idle worker was sent a cancel message, and 5 s later worker() had not returned. {DEAF}")
            }
            Some(Stopped::JobsClosed) => panic!(
                "the idle worker was sent a cancel message and worker() returned JobsClosed, with jobs still \
                 open: a message on cancel means Stopped::Cancelled"
            ),
        }
    }
}
