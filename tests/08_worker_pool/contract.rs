//! What `Pool` promises, one promise per test.

use crate::support::{
    DELIBERATE, EndCall, Ending, Gate, HOLD, RunLog, WhileHeld, end_within, hung, new_pool, panicked, submit_within,
};
use testkit::prelude::*;
use worker_pool::{Closed, Pool};

/// Compiles only if `T` can be moved to another thread.
fn assert_send<T: Send + 'static>() {}

// Checked when this test crate is compiled. The tests end pools on a thread
// of their own, so that one that never returns fails with an explanation
// instead of hanging; that needs `Pool: Send`. Every field a pool needs (a
// Sender, JoinHandles, Arcs) is Send; an `Rc` or a raw pointer is not.
const _: fn() = assert_send::<Pool>;

hidden_tests! {
    fn new_panics_when_asked_for_zero_workers() {
        // First the other side of the rule: one worker is a fine pool.
        match within(GENEROUS, || panic_message(|| Pool::new(1).shutdown())) {
            None => panic!("on Pool::new(1) with no job, {}", hung(Ending::Shutdown, GENEROUS)),
            Some(Some(message)) => {
                failing_means(Category::Panic);
                panic!(
                    "Pool::new(1) followed by shutdown() panicked ({message:?}): only a pool of zero workers is \
                     refused, one worker is a pool like any other"
                )
            }
            Some(None) => {}
        }
        failing_means(Category::WrongResult);
        let outcome = within(GENEROUS, || panic_message(|| drop(Pool::new(0))));
        let Some(message) = outcome else {
            panic!(
                "Pool::new(0) (and dropping what it returned) did not return within 5 s; it must panic at \
                 once: a pool with no worker can never run a job"
            );
        };
        assert!(
            message.is_some(),
            "Pool::new(0) returned a pool. The contract says it panics: a pool with no worker would \
             accept every job and run none of them, so the mistake must show where it is made. Start \
             Pool::new with `assert!(workers > 0, \"...\")`."
        );
    }

    fn every_job_runs_exactly_once_before_shutdown_returns() {
        const WORKERS: usize = 3;
        const JOBS: usize = 100;
        failing_means(Category::WrongResult);
        let log = RunLog::new(JOBS);
        let pool = new_pool(WORKERS);
        let mut refused = 0;
        for i in 0..JOBS {
            let log = log.clone();
            if pool.submit(move || log.ran(i)) != Ok(()) {
                refused += 1;
            }
        }
        let at_return = Arc::new(Mutex::new(Vec::new()));
        let (seen, reading) = (log.clone(), at_return.clone());
        let ended = EndCall::start(pool, Ending::Shutdown, move || *reading.lock().unwrap() = seen.counts())
            .finish(GENEROUS);
        match ended {
            None => panic!("{}", hung(Ending::Shutdown, GENEROUS)),
            Some(Err(message)) => panic!("{}", panicked(Ending::Shutdown, &message)),
            Some(Ok(())) => {}
        }
        assert_eq!(
            refused, 0,
            "submit returned Err(Closed) for {refused} of {JOBS} quick jobs on a pool of {WORKERS} that was \
             running normally: a live pool accepts every job"
        );
        let counts = at_return.lock().unwrap().clone();
        let ran = counts.iter().filter(|&&n| n == 1).count();
        if let Some(problem) = log.not_exactly_once(0..JOBS) {
            panic!(
                "{JOBS} quick jobs were submitted to a pool of {WORKERS} workers and then shutdown() was \
                 called; {problem} (when shutdown returned, {ran} had run exactly once). Every job handed \
                 to submit runs exactly once, and shutdown returns only after the last one has finished: \
                 each worker takes jobs from the one shared queue until it is closed and empty."
            );
        }
        // They ran later: worker threads were still running after it returned.
        failing_means(Category::LeakedThread);
        assert_eq!(
            ran, JOBS,
            "when shutdown() returned, only {ran} of {JOBS} jobs had run; the others ran later. shutdown \
             runs every job already submitted and then joins every worker thread, so it may return only \
             after the last job has finished."
        );
    }

    fn submit_queues_the_job_and_returns_at_once() {
        let gate = Arc::new(Gate::new());
        let started = Arc::new(AtomicUsize::new(0));
        let (g, s) = (gate.clone(), started.clone());
        let pool = new_pool(1);
        let give_up_at = Instant::now() + HOLD;
        let submitted = submit_within(
            pool,
            move || {
                s.fetch_add(1, Ordering::SeqCst);
                g.wait_until(give_up_at);
            },
            GENEROUS,
        );
        // Whatever happened, let the job go on, so that nothing stays blocked.
        gate.open();
        let (pool, result) = submitted.unwrap_or_else(|why| panic!("{why}"));
        failing_means(Category::WrongResult);
        assert_eq!(result, Ok(()), "submit on a new pool of 1 worker returned {result:?}: a live pool accepts jobs");
        // An idle worker that never notices the job slept through its wake-up.
        failing_means(Category::LostWakeup);
        assert!(
            eventually(GENEROUS, || started.load(Ordering::SeqCst) == 1),
            "a job submitted to an idle pool of 1 worker had not started 5 s later: a free worker must \
             take the next job as soon as it is queued"
        );
        if let Err(why) = end_within(pool, Ending::Shutdown, GENEROUS) {
            panic!("{why}");
        }
    }

    fn a_job_that_panics_does_not_stop_the_jobs_after_it() {
        // One worker: if the panic ends that thread, nothing else can run the
        // jobs queued behind it.
        const AFTER: usize = 10;
        failing_means(Category::Panic);
        let log = RunLog::new(AFTER);
        let pool = new_pool(1);
        let first = pool.submit(|| panic!("{DELIBERATE}"));
        let mut refused = 0;
        for i in 0..AFTER {
            let log = log.clone();
            if pool.submit(move || log.ran(i)) == Err(Closed) {
                refused += 1;
            }
        }
        // The pool is still live: whatever ending it does is not in play here.
        let all_ran = eventually(GENEROUS, || log.total() == AFTER);
        let ran = log.total();
        if let Err(why) = end_within(pool, Ending::Shutdown, GENEROUS) {
            panic!("{why}");
        }
        failing_means(Category::WrongResult);
        assert_eq!(first, Ok(()), "submit of a job returned {first:?} on a new pool: a live pool accepts jobs");
        failing_means(Category::Panic);
        assert!(
            all_ran && refused == 0,
            "on a pool of 1 worker, a job panicked and {AFTER} jobs were submitted after it: {ran} of them \
             had run 5 s later, and submit returned Err(Closed) for {refused}. A panic unwinds the thread it happens on; \
             if it reaches the top of your worker's loop, the worker thread ends and the pool has one \
             worker fewer for every panicking job (here: none left), so later jobs are lost or refused. \
             Run each job inside std::panic::catch_unwind(AssertUnwindSafe(job)) and carry on with the \
             next job whatever it returns."
        );
    }

    fn panicking_jobs_do_not_shrink_the_pool() {
        // As many panicking jobs as workers, then as many jobs that must all
        // run at the same time: the pool must still have every worker.
        const WORKERS: usize = 3;
        failing_means(Category::Panic);
        let meeting = Arc::new(Rendezvous::new(WORKERS, GENEROUS));
        let (arrived, met) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = new_pool(WORKERS);
        let mut results = Vec::new();
        for _ in 0..WORKERS {
            results.push(pool.submit(|| panic!("{DELIBERATE}")));
        }
        for _ in 0..WORKERS {
            let (meeting, arrived, met) = (meeting.clone(), arrived.clone(), met.clone());
            results.push(pool.submit(move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                if meeting.arrive() {
                    met.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        // Every job that will ever run has run within the rendezvous timeout.
        let all_met = eventually(GENEROUS + Duration::from_secs(1), || {
            met.load(Ordering::SeqCst) == WORKERS || meeting.is_broken()
        }) && met.load(Ordering::SeqCst) == WORKERS;
        let (arrived, refused) = (arrived.load(Ordering::SeqCst), results.iter().filter(|r| r.is_err()).count());
        let max = meeting.max_arrived();
        if let Err(why) = end_within(pool, Ending::Shutdown, GENEROUS) {
            panic!("{why}");
        }
        assert!(
            all_met && refused == 0,
            "a pool of {WORKERS} workers ran {WORKERS} jobs that panicked, then got {WORKERS} jobs that each \
             wait for all the others to be running: {arrived} of those started, at most {max} at the same \
             time, and submit returned Err(Closed) {refused} time(s). A panicking job must not cost the \
             pool its worker: catch the panic (std::panic::catch_unwind around each job) so that the \
             worker thread lives on and takes the next job. (If as_many_jobs_as_workers_run_at_the_same_time \
             fails too, fix that first: this test also needs {WORKERS} jobs running at once.)"
        );
    }

    fn shutdown_waits_for_running_jobs_and_leaves_no_thread_behind() {
        waits_for_running_jobs(Ending::Shutdown);
    }

    fn dropping_the_pool_waits_for_running_jobs_and_leaves_no_thread_behind() {
        waits_for_running_jobs(Ending::Drop);
    }

    fn shutdown_runs_the_jobs_still_queued() {
        runs_the_jobs_still_queued(Ending::Shutdown);
    }

    fn dropping_the_pool_runs_the_jobs_still_queued() {
        runs_the_jobs_still_queued(Ending::Drop);
    }

    fn an_idle_pool_ends_and_leaves_no_thread_behind() {
        // Nothing submitted at all: the workers are all waiting for a first
        // job, and ending the pool must wake them and wait for them.
        for ending in [Ending::Shutdown, Ending::Drop] {
            let before = thread_count();
            let pool = new_pool(4);
            if let Err(why) = end_within(pool, ending, GENEROUS) {
                panic!("on a pool of 4 workers that never got a job, {why}");
            }
            failing_means(Category::LeakedThread);
            if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
                panic!(
                    "{} thread(s) more than before Pool::new(4) were still alive 5 s after {} returned on a \
                     pool that never got a job. Ending a pool leaves no thread behind: close the queue so \
                     that every idle worker's wait for a job ends, and join every worker's JoinHandle.",
                    alive - before,
                    ending.call(),
                );
            }
        }
    }
}

/// Jobs held at a gate keep every worker busy while the pool is being ended.
/// The call must block until they finish, and then no thread may be left.
fn waits_for_running_jobs(ending: Ending) {
    const WORKERS: usize = 3;
    let before = thread_count();
    let gate = Arc::new(Gate::new());
    let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let pool = new_pool(WORKERS);
    let give_up_at = Instant::now() + HOLD;
    for _ in 0..WORKERS {
        let (gate, started, finished) = (gate.clone(), started.clone(), finished.clone());
        pool.submit(move || {
            started.fetch_add(1, Ordering::SeqCst);
            gate.wait_until(give_up_at);
            finished.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap_or_else(|Closed| {
            failing_means(Category::WrongResult);
            panic!("submit returned Err(Closed) on a new pool: a live pool accepts jobs")
        });
    }
    if !eventually(GENEROUS, || started.load(Ordering::SeqCst) == WORKERS) {
        gate.open();
        failing_means(Category::NotConcurrent);
        panic!(
            "only {} of {WORKERS} jobs had started 5 s after they were submitted to an idle pool of \
             {WORKERS} workers: each worker must take a job as soon as one is queued, so that {WORKERS} \
             jobs run at once",
            started.load(Ordering::SeqCst)
        );
    }
    let at_return = Arc::new(AtomicUsize::new(usize::MAX));
    let (reading, done) = (at_return.clone(), finished.clone());
    let call = EndCall::start(pool, ending, move || reading.store(done.load(Ordering::SeqCst), Ordering::SeqCst));
    let seen = call.watch_while_held(GENEROUS);
    let running_then = WORKERS - finished.load(Ordering::SeqCst);
    let alive_then = thread_count().saturating_sub(before);
    gate.open();
    let outcome = call.finish(GENEROUS);
    // From here on, the call returning before its workers ended leaves
    // them running (unless `hung` or `panicked` says otherwise).
    failing_means(Category::LeakedThread);
    if seen == WhileHeld::Returned {
        panic!(
            "{} returned while {running_then} of its {WORKERS} jobs were still running, with their worker \
             threads alive ({alive_then} threads more than before the pool was made, counting the test's \
             own). The contract says it joins every worker thread, and joining waits for the thread to \
             end. Closing the queue is not enough, and neither is dropping the JoinHandles (a dropped \
             handle detaches its thread: it runs on, unwatched). Call join() on every handle in {}.",
            ending.call(),
            ending.method(),
        );
    }
    match outcome {
        None => panic!("{}", hung(ending, GENEROUS)),
        Some(Err(message)) => panic!("{}", panicked(ending, &message)),
        Some(Ok(())) => {}
    }
    let finished_at_return = at_return.load(Ordering::SeqCst);
    assert_eq!(
        finished_at_return,
        WORKERS,
        "{} returned when {finished_at_return} of its {WORKERS} running jobs had finished. It must wait \
         for every worker: join each JoinHandle, not only some of them.",
        ending.call(),
    );
    if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
        panic!(
            "{} thread(s) more than before the pool was made were still alive 5 s after {} returned. \
             Ending a pool leaves no thread behind: close the queue, so that every worker's wait for a \
             job ends, and join every worker thread.",
            alive - before,
            ending.call(),
        );
    }
}

/// Two slow jobs keep both workers busy while many more wait in the queue;
/// then the pool is ended. Every queued job must still run, exactly once.
fn runs_the_jobs_still_queued(ending: Ending) {
    const WORKERS: usize = 2;
    const QUEUED: usize = 40;
    const JOBS: usize = WORKERS + QUEUED;
    let gate = Arc::new(Gate::new());
    let started = Arc::new(AtomicUsize::new(0));
    let log = RunLog::new(JOBS);
    let pool = new_pool(WORKERS);
    let give_up_at = Instant::now() + HOLD;
    for i in 0..JOBS {
        let (held, started, log) = (gate.clone(), started.clone(), log.clone());
        let accepted = pool.submit(move || {
            log.ran(i);
            if i < WORKERS {
                started.fetch_add(1, Ordering::SeqCst);
                held.wait_until(give_up_at);
            }
        });
        if accepted.is_err() {
            gate.open();
            failing_means(Category::WrongResult);
            panic!("submit returned Err(Closed) for job {i} on a live pool: a live pool accepts every job");
        }
    }
    if !eventually(GENEROUS, || started.load(Ordering::SeqCst) == WORKERS) {
        gate.open();
        failing_means(Category::NotConcurrent);
        panic!(
            "the first {WORKERS} jobs submitted to an idle pool of {WORKERS} workers had not all started 5 s \
             later ({} had): each worker must take a job as soon as one is queued",
            started.load(Ordering::SeqCst)
        );
    }
    // End the pool while both workers are busy and every other job is still
    // queued; let the workers go only once the ending call is blocked (or has
    // returned: another test explains that).
    let call = EndCall::start(pool, ending, || {});
    let seen = call.watch_while_held(GENEROUS);
    gate.open();
    match call.finish(GENEROUS) {
        None => panic!("{}", hung(ending, GENEROUS)),
        Some(Err(message)) => panic!("{}", panicked(ending, &message)),
        Some(Ok(())) => {}
    }
    if seen == WhileHeld::Returned {
        // A pool that returned early may still be running the jobs: give
        // them time, so that the failure says what was lost, not what was
        // late (another test explains returning early).
        eventually(GENEROUS, || log.total() >= JOBS);
    }
    failing_means(Category::WrongResult);
    if let Some(problem) = log.not_exactly_once(0..JOBS) {
        panic!(
            "{ending_call} was called while {WORKERS} jobs were running and {QUEUED} more waited in the \
             queue; {problem}. The contract says ending the pool runs every job already submitted. A \
             worker that stops on a \"stop\" flag (or a stop message) abandons what is still queued; \
             instead close the queue (drop the Sender) and let each worker keep taking jobs until the \
             queue is closed and empty (recv returns Err).",
            ending_call = ending.call(),
        );
    }
}
