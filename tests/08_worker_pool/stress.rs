//! Many pools at once, many rounds, exact counts.

use crate::support::{Ending, RunLog};
use testkit::prelude::*;
use worker_pool::Pool;

const ROUNDS: usize = 15;
const POOLS: usize = 3;
const WORKERS: usize = 2;
const JOBS: usize = 60;

hidden_tests! {
    fn pools_started_together_each_run_every_job_exactly_once() {
        // POOLS threads, released together by a Barrier each round, each make
        // a pool, submit JOBS numbered jobs and end it (shutdown in even
        // rounds, drop in odd ones). Right when the ending call returns, each
        // of its jobs must have run exactly once, and never more than WORKERS
        // of them at a time. Pools must not share anything (a queue kept in a
        // static would mix their jobs up).
        let before = thread_count();
        let outcome = within(Duration::from_secs(9), || {
            let start = Arc::new(Barrier::new(POOLS));
            let owners: Vec<_> = (0..POOLS)
                .map(|p| {
                    let start = start.clone();
                    thread::spawn(move || {
                        let mut problems = Vec::new();
                        for round in 0..ROUNDS {
                            start.wait();
                            // Never unwind out of this thread: the other pools'
                            // threads would wait at the barrier forever.
                            let result = std::panic::catch_unwind(|| one_pool(round));
                            match result {
                                Ok(None) => {}
                                Ok(Some(problem)) => problems.push(format!("pool {p}, round {round}: {problem}")),
                                Err(_) => {
                                    failing_means(Category::Panic);
                                    problems.push(format!("pool {p}, round {round}: a pool method panicked"))
                                }
                            }
                        }
                        problems
                    })
                })
                .collect();
            owners.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect::<Vec<String>>()
        });
        let Some(problems) = outcome else {
            // A call that never came back: a join waiting for workers that wait.
            failing_means(Category::Deadlock);
            panic!(
                "{POOLS} threads each making {ROUNDS} pools of {WORKERS} workers, one after another, with \
                 {JOBS} quick jobs per pool, did not finish within 9 s: a call to new, submit, shutdown or \
                 drop blocked and never came back"
            );
        };
        assert!(
            problems.is_empty(),
            "{POOLS} threads made pools at the same moment, {ROUNDS} rounds: {} (and {} more). Every job \
             handed to submit runs exactly once, on one of that pool's own workers, never more than \
             `workers` at a time, and the pool's shutdown (or drop) returns only after the last one.",
            problems[0],
            problems.len() - 1,
        );
        failing_means(Category::LeakedThread);
        if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
            panic!(
                "after {} pools had been ended, {} thread(s) more than before were still alive 5 s later: \
                 ending a pool must join every worker thread it started",
                POOLS * ROUNDS,
                alive - before
            );
        }
    }
}

/// One pool's round: `None` if all went as the contract says.
fn one_pool(round: usize) -> Option<String> {
    let ending = if round % 2 == 0 { Ending::Shutdown } else { Ending::Drop };
    let log = RunLog::new(JOBS);
    let gauge = Arc::new(Gauge::new());
    let pool = Pool::new(WORKERS);
    for i in 0..JOBS {
        let (log, gauge) = (log.clone(), gauge.clone());
        if pool.submit(move || {
            let _inside = gauge.enter();
            log.ran(i);
        }) != Ok(())
        {
            failing_means(Category::WrongResult);
            return Some(format!("submit returned Err(Closed) for job {i} on a live pool"));
        }
    }
    ending.end(pool);
    // Read right after the call returned: everything must be done by now.
    let problem = log.not_exactly_once(0..JOBS);
    if let Some(problem) = problem {
        failing_means(Category::WrongResult);
        return Some(format!("when {} returned, {problem}", ending.call()));
    }
    let max = gauge.max();
    if max > WORKERS {
        failing_means(Category::TooConcurrent);
        return Some(format!("{max} jobs ran at once on a pool of {WORKERS} workers"));
    }
    None
}
