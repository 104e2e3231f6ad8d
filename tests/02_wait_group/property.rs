//! Random schedules of adds, dones and waiters over several rounds.

use proptest::collection::vec;
use proptest::prelude::*;
use std::sync::mpsc;
use testkit::prelude::*;
use wait_group::WaitGroup;

/// One round: the `add` calls made before it starts, how many threads share
/// the matching `done` calls, and how many threads wait.
#[derive(Debug, Clone)]
struct Round {
    adds: Vec<usize>,
    done_threads: usize,
    waiters: usize,
}

fn round() -> impl Strategy<Value = Round> {
    (vec(1usize..=4, 1..=3), 1usize..=4, 0usize..=4).prop_map(|(adds, done_threads, waiters)| Round {
        adds,
        done_threads,
        waiters,
    })
}

hidden_tests! {
    fn any_schedule_releases_waiters_exactly_when_its_tasks_are_done() {
        failing_means(Category::WrongResult);
        let hung = AtomicBool::new(false);
        check_property(
            "any_schedule_releases_waiters_exactly_when_its_tasks_are_done",
            48,
            vec(round(), 1..=4),
            "rounds of add(n) calls, then waiter threads calling wait() and other threads calling \
             done() once per added task: every waiter must return, and only after every done() of \
             its round (a waiter checks how many tasks had finished when wait() returned)",
            |rounds| {
                // After one case has hung, shrinking would re-run cases that
                // hang too, 5 s each; report that first case instead.
                if hung.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let group = Arc::new(WaitGroup::new());
                let finished = Arc::new(AtomicUsize::new(0));
                let mut expected = 0;
                for (i, round) in rounds.iter().enumerate() {
                    let tasks: usize = round.adds.iter().sum();
                    for &n in &round.adds {
                        group.add(n);
                    }
                    expected += tasks;
                    let (report, reports) = mpsc::channel();
                    for _ in 0..round.waiters {
                        let (group, finished, report) = (group.clone(), finished.clone(), report.clone());
                        thread::spawn(move || {
                            group.wait();
                            let _ = report.send(finished.load(Ordering::SeqCst));
                        });
                    }
                    // Share the round's done() calls out between the threads.
                    for t in 0..round.done_threads {
                        let mine = tasks / round.done_threads + usize::from(t < tasks % round.done_threads);
                        let (group, finished) = (group.clone(), finished.clone());
                        thread::spawn(move || {
                            for _ in 0..mine {
                                finished.fetch_add(1, Ordering::SeqCst);
                                group.done();
                            }
                        });
                    }
                    let deadline = Instant::now() + GENEROUS;
                    for returned in 0..round.waiters {
                        let Ok(seen) = reports.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
                            hung.store(true, Ordering::SeqCst);
                            failing_means(Category::LostWakeup);
                            return Err(TestCaseError::fail(format!(
                                "round {}: only {} of {} waiters returned within 5 s of their round's last done(): \
                                 every waiting thread must be woken when the counter reaches zero",
                                i + 1, returned, round.waiters
                            )));
                        };
                        prop_assert!(
                            seen == expected,
                            "round {}: a waiter returned from wait() when {} of the round's {} tasks had called done(): \
                             wait() must not return before the counter is zero",
                            i + 1, seen + tasks - expected, tasks
                        );
                    }
                    // Every done() of this round has run before the next round adds.
                    let g = group.clone();
                    let drained = within(GENEROUS, move || g.wait()).is_some();
                    if !drained {
                        hung.store(true, Ordering::SeqCst);
                        failing_means(Category::LostWakeup);
                    }
                    prop_assert!(
                        drained,
                        "round {}: after every done() of the round, wait() did not return within 5 s", i + 1
                    );
                }
                Ok(())
            },
        );
    }
}
