//! Random runs of one worker, checked against what the contract allows.
//!
//! Each input picks how many jobs there are, how they arrive (all queued
//! before the call, or sent by a producer thread through channels of several
//! capacities) and how the run ends: the jobs channel closes, or cancel
//! fires (a message or a dropped Sender) before the call, inside the `process`
//! of some job, or once every job has been processed and the worker waits.
//! Every input has exactly one right outcome: the case where a cancel is
//! visible at the very moment jobs is disconnected and empty (either answer
//! defensible) is never generated.

use crate::support::{Running, Sender, Stopped, bounded, first, show, unbounded};
use proptest::prelude::*;
use testkit::prelude::*;

/// How the jobs reach the worker.
#[derive(Debug, Clone, Copy)]
enum Feed {
    /// All queued in an unbounded channel before `worker` is called.
    QueuedBefore,
    /// Sent by a producer thread that starts with the worker; `None` is an
    /// unbounded channel, `Some(n)` a channel of capacity n.
    Producer(Option<usize>),
}

/// How the run ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// The jobs Sender is dropped after the last job; cancel stays silent.
    JobsClose,
    /// Cancel fires before `worker` is called (`true`: by dropping the Sender).
    CancelBefore { by_drop: bool },
    /// `process` of this job fires cancel.
    CancelInJob { job: u32, by_drop: bool },
    /// Cancel fires once every job has been processed.
    CancelWhenDone { by_drop: bool },
}

#[derive(Debug, Clone, Copy)]
struct Case {
    jobs: u32,
    feed: Feed,
    end: End,
}

fn case() -> impl Strategy<Value = Case> {
    let feed = prop_oneof![
        Just(Feed::QueuedBefore),
        prop_oneof![Just(None), Just(Some(0)), Just(Some(1)), Just(Some(3))].prop_map(Feed::Producer),
    ];
    let end = prop_oneof![
        Just(End::JobsClose),
        any::<bool>().prop_map(|by_drop| End::CancelBefore { by_drop }),
        (0u32..20, any::<bool>()).prop_map(|(job, by_drop)| End::CancelInJob { job, by_drop }),
        any::<bool>().prop_map(|by_drop| End::CancelWhenDone { by_drop }),
    ];
    (0u32..20, feed, end).prop_map(|(jobs, feed, end)| {
        let end = match end {
            // Keep the cancelling job among the jobs sent.
            End::CancelInJob { job, by_drop } if jobs > 0 => End::CancelInJob { job: job % jobs, by_drop },
            End::CancelInJob { by_drop, .. } => End::CancelBefore { by_drop },
            other => other,
        };
        Case { jobs, feed, end }
    })
}

/// The one right outcome of a case.
fn expected(case: &Case) -> (Stopped, Vec<u32>) {
    match case.end {
        End::JobsClose => (Stopped::JobsClosed, first(case.jobs)),
        End::CancelBefore { .. } => (Stopped::Cancelled, vec![]),
        End::CancelInJob { job, .. } => (Stopped::Cancelled, first(job + 1)),
        End::CancelWhenDone { .. } => (Stopped::Cancelled, first(case.jobs)),
    }
}

/// The category of a run that started `started` where `want` was due (the
/// same reading as the stress test's): more jobs than due, after them, is a
/// cancellation not heeded; fewer, or the right jobs with the wrong answer,
/// a wrong result; anything else, jobs out of order.
fn what_went_wrong(started: &[u32], want: &[u32]) -> Category {
    if started.len() > want.len() && started.starts_with(want) {
        Category::IgnoredCancellation
    } else if started == want || (started.len() < want.len() && want.starts_with(started)) {
        Category::WrongResult
    } else {
        Category::Order
    }
}

/// Fires cancel: sends a message on the Sender and keeps it, or drops it.
fn fire(cancel: &mut Option<Sender<()>>, by_drop: bool) {
    if by_drop {
        *cancel = None;
    } else if let Some(tx) = cancel {
        let _ = tx.send(());
    }
}

hidden_tests! {
    fn any_run_starts_exactly_the_jobs_the_contract_allows() {
        failing_means(Category::WrongResult);
        let hung = AtomicBool::new(false);
        check_property(
            "any_run_starts_exactly_the_jobs_the_contract_allows",
            64,
            case(),
            "a worker ran on jobs 0..n, queued before the call or sent by a producer thread, and the run \
             ended by closing jobs or by a cancel (a message or a dropped Sender, before the call, from inside \
             a job's process(), or once every job was done). Every job received must be processed once, in \
             order; no job may start once a cancellation is visible; the jobs channel closing gives \
             JobsClosed only after every queued job, and a cancel gives Cancelled",
            |case| {
                // After one case has hung, shrinking would re-run cases that
                // hang too, 5 s each; report that first case instead.
                if hung.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let (cancel_tx, cancel_rx) = unbounded::<()>();
                let (jobs_tx, jobs_rx) = match case.feed {
                    Feed::Producer(Some(n)) => bounded(n),
                    _ => unbounded(),
                };
                let mut cancel = Some(cancel_tx);
                if let End::CancelBefore { by_drop } = case.end {
                    fire(&mut cancel, by_drop);
                }
                let mut in_job = None;
                if let End::CancelInJob { job, by_drop } = case.end {
                    in_job = Some((job, by_drop, cancel.take()));
                }
                let close = matches!(case.end, End::JobsClose);
                let mut jobs_tx = Some(jobs_tx);
                if let Feed::QueuedBefore = case.feed {
                    let tx = jobs_tx.as_ref().unwrap();
                    for job in 0..case.jobs {
                        tx.send(job).unwrap();
                    }
                    if close {
                        jobs_tx = None;
                    }
                }

                let mut run = Running::start(cancel_rx, jobs_rx, move |job| {
                    if let Some((at, by_drop, tx)) = &mut in_job
                        && job == *at
                    {
                        fire(tx, *by_drop);
                    }
                });
                // The producer hands its Sender back unless it is to close
                // the channel, so jobs stays open while a cancel is due.
                let producer = match (case.feed, jobs_tx.take()) {
                    (Feed::Producer(_), Some(tx)) => {
                        let jobs = case.jobs;
                        Some(thread::spawn(move || {
                            for job in 0..jobs {
                                if tx.send(job).is_err() {
                                    break;
                                }
                            }
                            (!close).then_some(tx)
                        }))
                    }
                    (_, tx) => {
                        jobs_tx = tx;
                        None
                    }
                };
                if let End::CancelWhenDone { by_drop } = case.end {
                    run.wait_started(case.jobs as usize, GENEROUS);
                    fire(&mut cancel, by_drop);
                }
                let stopped = run.wait(GENEROUS);
                let started = run.started();
                let kept = producer.map(|p| p.join());
                drop((jobs_tx, kept, cancel));

                let (want_stopped, want_started) = expected(&case);
                let Some(stopped) = stopped else {
                    // Not returning after a cancel is ignoring it; after jobs closed, a wrong result.
                    failing_means(if want_stopped == Stopped::Cancelled {
                        Category::IgnoredCancellation
                    } else {
                        Category::WrongResult
                    });
                    hung.store(true, Ordering::SeqCst);
                    return Err(TestCaseError::fail(format!(
                        "worker() had not returned 5 s after the run should have ended (it had started jobs {}); \
                         {want_stopped:?} was due",
                        show(&started)
                    )));
                };
                if !(stopped == want_stopped && started == want_started) {
                    failing_means(what_went_wrong(&started, &want_started));
                }
                prop_assert!(
                    stopped == want_stopped && started == want_started,
                    "the worker started jobs {} and returned {:?}; exactly jobs {} and {:?} were due",
                    show(&started),
                    stopped,
                    show(&want_started),
                    want_stopped
                );
                Ok(())
            },
        );
    }
}
