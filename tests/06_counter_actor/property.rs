//! Random sequences of calls: first on one thread with clones coming and
//! going, then lists of calls on several threads at once.

use crate::support::{EFFORT, Ended, WHY_THE_OWNER_DID_NOT_END, WHY_VALUE_MISSED, payload_message, run_for};
use counter_actor::{CounterHandle, spawn_counter};
use proptest::collection::vec;
use proptest::prelude::*;
use std::thread::JoinHandle;
use testkit::prelude::*;

/// One call, on one of the live handles (the index is taken modulo their number).
#[derive(Debug, Clone, Copy)]
enum Op {
    Increment(usize),
    Value(usize),
    Clone(usize),
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..4).prop_map(Op::Increment),
        3 => (0usize..4).prop_map(Op::Value),
        1 => (0usize..4).prop_map(Op::Clone),
        1 => (0usize..4).prop_map(Op::Drop),
    ]
}

/// One call of a thread on its own handle.
#[derive(Debug, Clone, Copy)]
enum ThreadOp {
    Increment,
    Value,
}

fn thread_op() -> impl Strategy<Value = ThreadOp> {
    prop_oneof![3 => Just(ThreadOp::Increment), 1 => Just(ThreadOp::Value)]
}

/// One thread's list of calls, shown compactly in a failure: `I` for
/// increment(), `V` for value().
#[derive(Clone)]
struct Calls(Vec<ThreadOp>);

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let letters: String =
            self.0.iter().map(|op| if matches!(op, ThreadOp::Increment) { 'I' } else { 'V' }).collect();
        write!(f, "\"{letters}\"")
    }
}

/// Far above what a correct counter needs (the cases stop after
/// `support::EFFORT` in any case); short enough to explain a hang.
const PROPERTY_DEADLINE: Duration = Duration::from_secs(9);

/// Runs a property with its deadline, and explains a hang.
fn property(what: &str, body: impl FnOnce() + Send + 'static) {
    match run_for(PROPERTY_DEADLINE, body) {
        Ended::Returned(()) => {}
        Ended::Panicked(message) => panic!("{message}"),
        Ended::Stuck => panic!(
            "{what} did not finish within {} s: a call to increment() or value() never returned. value() \
             waits for the owner's answer, so the owner must answer every request it takes, on the reply \
             channel that came with it.",
            PROPERTY_DEADLINE.as_secs()
        ),
    }
}

/// Joins the owner once every handle is gone, with a deadline. A hang is
/// not a proptest failure (shrinking would hang again and again) but is
/// kept in `stuck` for the test to report after the property.
fn join_owner(owner: JoinHandle<usize>, stuck: &Mutex<Option<String>>) -> Result<Option<usize>, TestCaseError> {
    match run_for(GENEROUS, move || owner.join()) {
        Ended::Returned(Ok(n)) => Ok(Some(n)),
        Ended::Returned(Err(p)) => {
            Err(TestCaseError::fail(format!("the owner thread panicked: {}", payload_message(p.as_ref()))))
        }
        Ended::Panicked(message) => Err(TestCaseError::fail(format!("joining the owner panicked: {message}"))),
        Ended::Stuck => {
            *stuck.lock().unwrap() = Some(format!(
                "every handle had been dropped, but {} s later the owner thread had still not ended (its \
                 JoinHandle did not return). {WHY_THE_OWNER_DID_NOT_END}",
                GENEROUS.as_secs()
            ));
            Ok(None)
        }
    }
}

/// Reports a hang kept by [`join_owner`], once the property has run.
fn report_stuck(stuck: &Mutex<Option<String>>) {
    if let Some(why) = stuck.lock().unwrap().take() {
        failing_means(Category::LeakedThread);
        panic!("{why}");
    }
}

hidden_tests! {
    fn calls_on_one_thread_with_clones_add_up() {
        failing_means(Category::WrongResult);
        property("the one-thread property", || {
            let deadline = Instant::now() + EFFORT;
            let stuck = Mutex::new(None);
            check_property(
                "calls_on_one_thread_with_clones_add_up",
                128,
                vec(op(), 0..60),
                "one thread started a counter and made these calls, on the first handle and on clones of it, \
                 clones being made and dropped as it went; then it dropped every handle left and joined the \
                 owner thread. value() through a handle must count at least every increment that handle \
                 made, and at most every increment made at all; the owner must return exactly the number of \
                 increments.",
                |ops| {
                    if Instant::now() >= deadline || stuck.lock().unwrap().is_some() {
                        return Ok(()); // out of time, or a hang is already being reported
                    }
                    let (first, owner) = spawn_counter();
                    // Each live handle with the increments made through it.
                    let mut live: Vec<(CounterHandle, usize)> = vec![(first, 0)];
                    let mut total = 0;
                    for (i, &op) in ops.iter().enumerate() {
                        if live.is_empty() {
                            break;
                        }
                        let n = live.len();
                        match op {
                            Op::Increment(h) => {
                                live[h % n].0.increment();
                                live[h % n].1 += 1;
                                total += 1;
                            }
                            Op::Value(h) => {
                                let (handle, own) = &live[h % n];
                                let v = handle.value();
                                if !(*own <= v && v <= total) {
                                    // Missing its own increments: the request overtook them.
                                    failing_means(if v < *own { Category::Order } else { Category::WrongResult });
                                }
                                prop_assert!(
                                    *own <= v && v <= total,
                                    "call #{} value() on a handle that had made {} increments returned {}, \
                                     with {} increments made through all handles so far. {}",
                                    i, own, v, total,
                                    if v < *own { WHY_VALUE_MISSED } else { "That is more than were made." }
                                );
                            }
                            Op::Clone(h) => {
                                let copy = live[h % n].0.clone();
                                live.push((copy, 0));
                            }
                            Op::Drop(h) => {
                                live.swap_remove(h % n);
                            }
                        }
                    }
                    drop(live);
                    if let Some(got) = join_owner(owner, &stuck)? {
                        if got != total {
                            failing_means(Category::WrongResult);
                        }
                        prop_assert_eq!(
                            got, total,
                            "the handles made {} increments in all and were all dropped; joining the owner gave {}. \
                             Every clone must talk to the same owner, and the owner must count every queued \
                             increment before it returns.",
                            total, got
                        );
                    }
                    Ok(())
                },
            );
            report_stuck(&stuck);
        });
    }

    fn concurrent_call_lists_add_up() {
        failing_means(Category::WrongResult);
        property("the concurrent property", || {
            let deadline = Instant::now() + EFFORT;
            let stuck = Mutex::new(None);
            check_property(
                "concurrent_call_lists_add_up",
                48,
                vec(vec(thread_op(), 0..400).prop_map(Calls), 2..=4),
                "each list of calls ran on its own thread, through its own clone of one new counter's handle, \
                 all threads released together; then every handle was dropped and the owner joined. Whatever \
                 the interleaving, value() on a thread's handle must count at least that thread's own \
                 increments so far, never less than it said before, and never more than all the lists hold; \
                 the owner must return exactly the number of increments. (Below, I is a call to increment() and V \
                 a call to value().)",
                |lists| {
                    if Instant::now() >= deadline || stuck.lock().unwrap().is_some() {
                        return Ok(()); // out of time, or a hang is already being reported
                    }
                    let ceiling = lists.iter().flat_map(|l| &l.0).filter(|op| matches!(op, ThreadOp::Increment)).count();
                    let (handle, owner) = spawn_counter();
                    let start = Barrier::new(lists.len());
                    let results: Vec<Result<usize, String>> = thread::scope(|s| {
                        let workers: Vec<_> = lists
                            .iter()
                            .enumerate()
                            .map(|(t, ops)| {
                                let mine = handle.clone();
                                let start = &start;
                                s.spawn(move || {
                                    start.wait();
                                    let (mut made, mut last) = (0, 0);
                                    for (i, op) in ops.0.iter().enumerate() {
                                        match op {
                                            ThreadOp::Increment => {
                                                mine.increment();
                                                made += 1;
                                            }
                                            ThreadOp::Value => {
                                                let v = mine.value();
                                                if v < made || v < last || v > ceiling {
                                                    // Behind its own increments or going back: answered out
                                                    // of turn. Above every increment: a wrong count.
                                                    failing_means(if v > ceiling {
                                                        Category::WrongResult
                                                    } else {
                                                        Category::Order
                                                    });
                                                    return Err(format!(
                                                        "thread {t}, call #{i}: value() returned {v} after this \
                                                         thread's handle had made {made} increments, and after it \
                                                         had read {last} before; all the lists hold {ceiling} \
                                                         increments"
                                                    ));
                                                }
                                                last = v;
                                            }
                                        }
                                    }
                                    Ok(made)
                                })
                            })
                            .collect();
                        workers
                            .into_iter()
                            .map(|w| w.join().unwrap_or_else(|p| Err(format!("a thread panicked: {}", payload_message(p.as_ref())))))
                            .collect()
                    });
                    drop(handle);
                    let mut made = 0;
                    for r in results {
                        match r {
                            Ok(n) => made += n,
                            Err(why) => {
                                let advice = if why.contains("panicked") { "" } else { WHY_VALUE_MISSED };
                                return Err(TestCaseError::fail(format!("{why}. {advice}")));
                            }
                        }
                    }
                    if let Some(got) = join_owner(owner, &stuck)? {
                        if got != made {
                            failing_means(Category::WrongResult);
                        }
                        prop_assert_eq!(
                            got, made,
                            "the threads made {} increments in all and dropped their handles; joining the owner \
                             gave {}",
                            made, got
                        );
                    }
                    Ok(())
                },
            );
            report_stuck(&stuck);
        });
    }
}
