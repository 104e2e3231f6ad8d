//! Many rounds of work on one group, every thread released together by a
//! `Barrier`, with an exact count checked each round.

use std::sync::mpsc;
use testkit::prelude::*;
use wait_group::WaitGroup;

const ROUNDS: usize = 400;
const WORKERS: usize = 4;
const WAITERS: usize = 3;

hidden_tests! {
    fn wait_never_returns_before_every_done_of_its_round() {
        failing_means(Category::LostWakeup);
        // The whole run happens on a helper thread, so that a broken group
        // that blocks some thread forever fails this test with an
        // explanation instead of hanging it.
        let outcome = within(Duration::from_secs(9), run_rounds);
        assert!(
            outcome.is_some(),
            "{ROUNDS} rounds of {WORKERS} tasks and {WAITERS} waiters did not finish within 9 s: \
             a call to add, done or wait blocked and never came back"
        );
    }
}

fn run_rounds() {
    let group = Arc::new(WaitGroup::new());
    // Tasks finished so far, over all rounds; a task counts itself just
    // before it calls done(), so after round r a waiter must see exactly
    // r * WORKERS.
    let finished = Arc::new(AtomicUsize::new(0));
    // The workers, the waiters and this thread start each round together.
    let start = Arc::new(Barrier::new(WORKERS + WAITERS + 1));
    let (report, reports) = mpsc::channel::<(usize, usize)>();

    for _ in 0..WORKERS {
        let (group, finished, start) = (group.clone(), finished.clone(), start.clone());
        thread::spawn(move || {
            for _ in 0..ROUNDS {
                start.wait();
                finished.fetch_add(1, Ordering::SeqCst);
                group.done();
            }
        });
    }
    for _ in 0..WAITERS {
        let (group, finished, start, report) = (group.clone(), finished.clone(), start.clone(), report.clone());
        thread::spawn(move || {
            for round in 1..=ROUNDS {
                start.wait();
                group.wait();
                if report.send((round, finished.load(Ordering::SeqCst))).is_err() {
                    return;
                }
            }
        });
    }

    for round in 1..=ROUNDS {
        // The next round's tasks are added only after every waiter of this
        // round has returned, and before any of its tasks can run.
        group.add(WORKERS);
        start.wait();
        for _ in 0..WAITERS {
            let Ok((_, seen)) = reports.recv_timeout(GENEROUS) else {
                panic!(
                    "round {round}: all {WORKERS} tasks called done(), but a thread in wait() had not \
                     returned 5 s later. Its wake-up was lost: a waiter that finds the counter above \
                     zero must go to sleep in the same step, under the lock that done() takes \
                     (Condvar::wait releases the lock only once the thread is asleep), and every \
                     waiter must be woken (notify_all)"
                )
            };
            let expected = round * WORKERS;
            if seen != expected {
                failing_means(Category::WrongResult);
            }
            assert!(
                seen == expected,
                "round {round}: wait() returned when {} of the round's {WORKERS} tasks had finished: \
                 wait() must not return until every task of the round has called done()",
                seen as isize - (expected - WORKERS) as isize
            );
        }
    }
}
