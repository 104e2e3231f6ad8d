//! For any number of workers, any mix of jobs and either way of ending the
//! pool: every job runs exactly once, never more than `workers` at once, and
//! no thread is left behind.

use crate::support::{DELIBERATE, EndCall, Ending, RunLog, hung, panicked};
use proptest::prelude::*;
use testkit::prelude::*;
use worker_pool::Pool;

/// What one generated job does.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// Returns at once.
    Quick,
    /// Sleeps this many microseconds, so that jobs overlap.
    Sleep(u64),
    /// Panics (after recording that it ran).
    Panic,
}

fn job() -> impl Strategy<Value = Job> {
    prop_oneof![
        6 => Just(Job::Quick),
        3 => (1u64..2_000).prop_map(Job::Sleep),
        1 => Just(Job::Panic),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![Just(Ending::Shutdown), Just(Ending::Drop)]
}

hidden_tests! {
    fn any_mix_of_jobs_runs_exactly_once_and_leaves_no_thread() {
        let gave_up = AtomicBool::new(false);
        let cases = (1usize..=4, proptest::collection::vec(job(), 0..24), ending());
        check_property(
            "any_mix_of_jobs_runs_exactly_once_and_leaves_no_thread",
            24,
            cases,
            "for this pool size, these jobs and this way of ending the pool, the pool broke its contract \
             (every job runs exactly once, panicking jobs included, none is lost when another panics, never \
             more than `workers` at once, all done when shutdown or drop returns, and no thread left \
             behind)",
            |(workers, jobs, ending)| {
                // After one case has waited out a 5 s deadline, shrinking would
                // re-run cases that wait as long; report that first case instead.
                if gave_up.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let before = thread_count();
                let log = RunLog::new(jobs.len());
                let gauge = Arc::new(Gauge::new());
                let pool = within(GENEROUS, move || Pool::new(workers));
                // Shrinking runs passing cases after failing ones, so a case
                // declares what its failure means only when it fails.
                if pool.is_none() {
                    gave_up.store(true, Ordering::SeqCst);
                    failing_means(Category::Deadlock);
                }
                prop_assert!(pool.is_some(), "Pool::new({workers}) did not return within 5 s");
                let pool = pool.unwrap();
                for (i, &job) in jobs.iter().enumerate() {
                    let (log, gauge) = (log.clone(), gauge.clone());
                    let accepted = pool.submit(move || {
                        let _inside = gauge.enter();
                        log.ran(i);
                        match job {
                            Job::Quick => {}
                            Job::Sleep(us) => thread::sleep(Duration::from_micros(us)),
                            Job::Panic => panic!("{DELIBERATE}"),
                        }
                    });
                    if accepted.is_err() {
                        failing_means(Category::WrongResult);
                    }
                    prop_assert!(accepted.is_ok(), "submit of job {i} returned Err(Closed) on a live pool");
                }
                let at_return = Arc::new(Mutex::new(Vec::new()));
                let (seen, reading) = (log.clone(), at_return.clone());
                let ended = EndCall::start(pool, ending, move || *reading.lock().unwrap() = seen.counts())
                    .finish(GENEROUS);
                match ended {
                    None => {
                        gave_up.store(true, Ordering::SeqCst);
                        prop_assert!(false, "{}", hung(ending, GENEROUS))
                    }
                    Some(Err(message)) => prop_assert!(false, "{}", panicked(ending, &message)),
                    Some(Ok(())) => {}
                }
                let counts = at_return.lock().unwrap().clone();
                let done = counts.iter().filter(|&&n| n == 1).count();
                if done != jobs.len() {
                    failing_means(Category::WrongResult);
                }
                prop_assert!(
                    done == jobs.len(),
                    "when {} returned, {done} of {} jobs had run exactly once (runs per job: {counts:?})",
                    ending.call(),
                    jobs.len()
                );
                if gauge.max() > workers {
                    failing_means(Category::TooConcurrent);
                }
                prop_assert!(
                    gauge.max() <= workers,
                    "{} jobs ran at once on a pool of {workers} workers",
                    gauge.max()
                );
                let left = wait_for_thread_count(before, GENEROUS);
                if left.is_err() {
                    gave_up.store(true, Ordering::SeqCst);
                    failing_means(Category::LeakedThread);
                }
                prop_assert!(
                    left.is_ok(),
                    "{} thread(s) more than before the pool was made were still alive 5 s after {} returned",
                    left.unwrap_err().saturating_sub(before),
                    ending.call()
                );
                Ok(())
            },
        );
    }
}
