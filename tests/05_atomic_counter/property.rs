//! Random sequences of operations, checked against a plain number: first one
//! thread at a time, then several threads at once.

use crate::support::{EFFORT, Placement, Worker, barrier_round, finishes};
use atomic_counter::AtomicCounter;
use proptest::collection::vec;
use proptest::prelude::*;
use testkit::prelude::*;

/// One call on the counter.
#[derive(Debug, Clone, Copy)]
enum Op {
    Increment,
    Add(usize),
    Value,
    IncrementBelow(usize),
}

/// Small numbers, so that values and limits meet often and the boundary
/// of `increment_below` is tried in most inputs.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Increment),
        (0usize..4).prop_map(Op::Add),
        Just(Op::Value),
        (0usize..24).prop_map(Op::IncrementBelow),
    ]
}

/// What a call returned, for the ones that return something.
#[derive(Debug, PartialEq)]
enum Returned {
    Nothing,
    Value(usize),
    Did(bool),
}

fn apply(c: &AtomicCounter, op: Op) -> Returned {
    match op {
        Op::Increment => {
            c.increment();
            Returned::Nothing
        }
        Op::Add(n) => {
            c.add(n);
            Returned::Nothing
        }
        Op::Value => Returned::Value(c.value()),
        Op::IncrementBelow(limit) => Returned::Did(c.increment_below(limit)),
    }
}

/// The sequential model: a plain `usize`.
fn model(n: &mut usize, op: Op) -> Returned {
    match op {
        Op::Increment => {
            *n += 1;
            Returned::Nothing
        }
        Op::Add(k) => {
            *n += k;
            Returned::Nothing
        }
        Op::Value => Returned::Value(*n),
        Op::IncrementBelow(limit) if *n < limit => {
            *n += 1;
            Returned::Did(true)
        }
        Op::IncrementBelow(_) => Returned::Did(false),
    }
}

/// Far above what a correct counter needs (the cases stop after
/// `support::EFFORT` in any case); short enough to explain an endless loop.
const PROPERTY_DEADLINE: Duration = Duration::from_secs(9);

hidden_tests! {
    fn sequential_operations_match_a_plain_number() {
        failing_means(Category::WrongResult);
        finishes("the sequential property", PROPERTY_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            check_property(
                "sequential_operations_match_a_plain_number",
                256,
                vec(op(), 0..40),
                "one thread made these calls on a new AtomicCounter and compared each result, and value() after \
                 each call, with a plain usize doing the same; they differ. On one thread the counter must behave \
                 exactly like a number: increment adds 1, add(n) adds n, increment_below(limit) adds 1 and \
                 returns true only when the value is strictly below limit.",
                |ops| {
                    if Instant::now() >= deadline {
                        return Ok(()); // a very slow counter gets fewer cases (see support::EFFORT)
                    }
                    let c = AtomicCounter::new();
                    let mut n = 0;
                    for (i, &op) in ops.iter().enumerate() {
                        let before = n;
                        let want = model(&mut n, op);
                        let got = apply(&c, op);
                        prop_assert_eq!(
                            &got,
                            &want,
                            "call #{} {:?} on a counter at {} returned {:?}, expected {:?}",
                            i,
                            op,
                            before,
                            got,
                            want
                        );
                        let value = c.value();
                        prop_assert_eq!(value, n, "after call #{} {:?} value() is {}, expected {}", i, op, value, n);
                    }
                    Ok(())
                },
            )
        });
    }

    fn concurrent_operation_lists_add_up() {
        failing_means(Category::LostUpdate);
        finishes("the concurrent property", PROPERTY_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            check_property(
                "concurrent_operation_lists_add_up",
                48,
                vec(vec(op(), 0..300), 2..=4),
                "each list of calls ran on its own thread, all released together onto one new AtomicCounter. \
                 Whatever the interleaving, the final value must be exactly the increments plus the sum of the adds plus \
                 the increment_below calls that returned true, and the values one thread reads may only grow. \
                 A difference means an update was lost: some read-modify-write was done as a load and a \
                 separate store instead of one atomic operation (fetch_add, compare_exchange).",
                |lists| {
                    if Instant::now() >= deadline {
                        return Ok(()); // a very slow counter gets fewer cases (see support::EFFORT)
                    }
                    // A thread stopped early by the effort budget returns
                    // fewer results; only the calls it made are counted.
                    let work = |w: &Worker| {
                        let ops = &lists[w.index];
                        ops.iter().take_while(|_| w.go_on()).map(|&op| apply(w.counter, op)).collect::<Vec<_>>()
                    };
                    let (c, results) = barrier_round(lists.len(), deadline, Placement::Anywhere, &work);
                    let mut want = 0;
                    for (t, (ops, returned)) in lists.iter().zip(&results).enumerate() {
                        let mut last_seen = 0;
                        for (&op, r) in ops.iter().zip(returned) {
                            match (op, r) {
                                (Op::Increment, _) | (_, Returned::Did(true)) => want += 1,
                                (Op::Add(k), _) => want += k,
                                (_, &Returned::Value(v)) => {
                                    prop_assert!(
                                        v >= last_seen,
                                        "thread {} read value() {} after it had read {}: the counter went backwards",
                                        t, v, last_seen
                                    );
                                    last_seen = v;
                                }
                                _ => {}
                            }
                        }
                    }
                    let got = c.value();
                    prop_assert_eq!(got, want, "the final value is {}, the calls add up to {}", got, want);
                    Ok(())
                },
            )
        });
    }
}
