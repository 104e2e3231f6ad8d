//! How many jobs run at once: exactly up to `workers`, never more.

use crate::support::{Ending, Gate, HOLD, end_within, new_pool};
use testkit::prelude::*;
use worker_pool::Closed;

hidden_tests! {
    fn as_many_jobs_as_workers_run_at_the_same_time() {
        // More workers than the grading machine has cores: a pool sized to
        // the cores, or one that runs a job at a time, cannot fit them all.
        const WORKERS: usize = 4;
        let meeting = Arc::new(Rendezvous::new(WORKERS, GENEROUS));
        let (arrived, met) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = new_pool(WORKERS);
        for _ in 0..WORKERS {
            let (meeting, arrived, met) = (meeting.clone(), arrived.clone(), met.clone());
            pool.submit(move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                if meeting.arrive() {
                    met.fetch_add(1, Ordering::SeqCst);
                }
            })
            .unwrap_or_else(|Closed| {
                failing_means(Category::WrongResult);
                panic!("submit returned Err(Closed) on a new pool: a live pool accepts jobs")
            });
        }
        // The pool is still live while the jobs meet (or give up): how it
        // ends is not in play here.
        eventually(GENEROUS + Duration::from_secs(1), || met.load(Ordering::SeqCst) == WORKERS || meeting.is_broken());
        let (arrived, met, max) = (arrived.load(Ordering::SeqCst), met.load(Ordering::SeqCst), meeting.max_arrived());
        if let Err(why) = end_within(pool, Ending::Shutdown, GENEROUS) {
            panic!("{why}");
        }
        failing_means(Category::NotConcurrent);
        assert!(
            met == WORKERS,
            "a pool of {WORKERS} workers got {WORKERS} jobs that each wait (up to 5 s) for all the others to \
             be running too; {arrived} of them started, but at most {max} were ever running at the same \
             time. Each of the {WORKERS} workers must take a job as soon as it is free and run it while the \
             others run theirs. Common causes: fewer threads started than asked for; or a worker that \
             holds the queue's lock while it runs the job, so that the others cannot even take one. \
             (Beware `while let Ok(job) = receiver.lock().unwrap().recv() {{ job() }}`: the guard made in \
             the `while let` line lives until the end of the loop body. Take the job in a statement of its \
             own, `let job = receiver.lock().unwrap().recv();`, and run it after that line.)"
        );
    }

    fn never_more_than_workers_jobs_run_at_once() {
        // Jobs stay at a gate, so that every job a worker has taken is still
        // running when the test looks. A pool of 3 fills up with 3 and the
        // other jobs wait in the queue; any more running at once means more
        // threads than workers (a thread per job, or one worker too many).
        const WORKERS: usize = 3;
        const JOBS: usize = 24;
        let gauge = Arc::new(Gauge::new());
        let gate = Arc::new(Gate::new());
        let finished = Arc::new(AtomicUsize::new(0));
        let pool = new_pool(WORKERS);
        let give_up_at = Instant::now() + HOLD;
        for _ in 0..JOBS {
            let (gauge, held, finished) = (gauge.clone(), gate.clone(), finished.clone());
            let accepted = pool.submit(move || {
                let _inside = gauge.enter();
                held.wait_until(give_up_at);
                finished.fetch_add(1, Ordering::SeqCst);
            });
            if accepted.is_err() {
                gate.open();
                failing_means(Category::WrongResult);
                panic!("submit returned Err(Closed) on a live pool: a live pool accepts every job");
            }
        }
        let filled = eventually(GENEROUS, || gauge.current() >= WORKERS);
        // A correct pool stays at WORKERS for good; give an extra thread,
        // if there is one, time to take a job too.
        eventually(Duration::from_millis(500), || gauge.current() > WORKERS);
        let running_while_held = gauge.current();
        gate.open();
        if let Err(why) = end_within(pool, Ending::Shutdown, GENEROUS) {
            panic!("{why}");
        }
        failing_means(Category::NotConcurrent);
        assert!(
            filled,
            "a pool of {WORKERS} workers got {JOBS} jobs that wait at a gate, and 5 s later only {} of them \
             were running: every worker must take a job as soon as it is free",
            gauge.current()
        );
        let max = gauge.max();
        failing_means(Category::TooConcurrent);
        assert!(
            max <= WORKERS,
            "a pool of {WORKERS} workers ran {max} jobs at the same time ({running_while_held} while the jobs \
             were held at a gate). No more than `workers` jobs may run at once: that bound is what a pool \
             is for (it caps the threads, memory and connections the jobs use). Start exactly `workers` \
             threads (`0..workers`, not `0..=workers`), run each job on the worker that took it, and do \
             not start a new thread per job."
        );
        let finished = finished.load(Ordering::SeqCst);
        failing_means(Category::WrongResult);
        assert_eq!(finished, JOBS, "{finished} of {JOBS} jobs ran before shutdown() returned: every submitted job runs");
    }
}
