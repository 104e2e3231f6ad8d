//! Many threads on one counter at once, released together by a Barrier, with
//! an exact count checked after every round.
//!
//! The races these tests look for live in a window a few instructions wide
//! (between two lock acquisitions), so one round proves little. Each test
//! runs rounds until one breaks its invariant or the round budget is spent.
//! The budgets are several times what the racy implementations in
//! `mutants/` needed to be caught in every one of many runs on a loaded
//! 2-core machine; a correct Mutex counter runs them all in well under a
//! second of CPU.
//!
//! Measured (load average 7-13 on 2 cores, 20-30 runs each; the round in
//! which the mutant was caught): lost_update_in_increment 1-9, lost_update_in_add
//! 1-6, increment_below_checks_then_acts 1-23 (mostly 1-5). With the whole
//! process pinned to one core: 1-4, 1-17 and 2-16. Hence 40, 40 and 60 rounds.
//! What makes these numbers small is the rounds' length (20 000 calls per
//! thread, so threads are interrupted mid-call) and the jostler thread in
//! `support::barrier_round`; with 100-call rounds and no jostler the
//! check-then-act race needed hundreds of rounds under load.

use crate::support::{Worker, finishes, first_bad_round};
use testkit::prelude::*;

const THREADS: usize = 4;
/// A stress test's own deadline: far above what a correct counter needs
/// (the rounds stop after `support::EFFORT` in any case), and short enough
/// that a deadlocked one fails with an explanation.
const STRESS_DEADLINE: Duration = Duration::from_secs(9);

const INCREMENT_ROUNDS: usize = 40;
const INCREMENTS_PER_THREAD: usize = 20_000;

const ADD_ROUNDS: usize = 40;
const ADDS_PER_THREAD: usize = 20_000;

const BELOW_ROUNDS: usize = 60;
/// A limit far away, so that every thread is still busy (and some are
/// interrupted half-way through a call) when the value reaches it.
const BELOW_LIMIT: usize = 40_000;
/// Each thread calls `increment_below` this many times per round, so the
/// threads together try twice as often as the limit allows.
const BELOW_CALLS_PER_THREAD: usize = 2 * BELOW_LIMIT / THREADS;

const OBSERVED_ROUNDS: usize = 40;
const OBSERVED_CALLS: usize = 20_000;

hidden_tests! {
    fn concurrent_increments_are_never_lost() {
        failing_means(Category::LostUpdate);
        let outcome = finishes("the concurrent increment() rounds", STRESS_DEADLINE, || {
            first_bad_round(
                INCREMENT_ROUNDS,
                THREADS,
                |w: &Worker| w.repeat(INCREMENTS_PER_THREAD, |c| c.increment()),
                |c, made| {
                    let (got, want) = (c.value(), made.iter().sum::<usize>());
                    if got == want {
                        return Ok(());
                    }
                    Err(format!(
                        "{THREADS} threads called increment() {want} times in all on a new counter, so the value \
                         must be {want}, but value() is {got}{}",
                        lost_or_gained(want, got)
                    ))
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. `n += 1` is three steps: read n, add one, write n back. If the lock is let go between \
                 the read and the write (two separate lock() calls, or value() and then a write), another \
                 thread's increment lands in between and the write-back erases it: a lost update. Hold one \
                 MutexGuard for the whole read-add-write."
            );
        }
    }

    fn concurrent_adds_are_never_lost() {
        failing_means(Category::LostUpdate);
        // Thread i adds i + 1 each time, so a lost add of any size shows.
        let outcome = finishes("the concurrent add(n) rounds", STRESS_DEADLINE, || {
            first_bad_round(
                ADD_ROUNDS,
                THREADS,
                |w: &Worker| {
                    let n = w.index + 1;
                    (n, w.repeat(ADDS_PER_THREAD, |c| c.add(n)))
                },
                |c, made| {
                    let want: usize = made.iter().map(|(n, times)| n * times).sum();
                    let got = c.value();
                    if got == want {
                        return Ok(());
                    }
                    let calls: Vec<String> = made.iter().map(|(n, times)| format!("add({n}) {times} times")).collect();
                    Err(format!(
                        "{THREADS} threads called, one each, {} on a new counter, so the value must be {want}, but \
                         value() is {got}{}",
                        calls.join(", "),
                        lost_or_gained(want, got)
                    ))
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. add(n) reads the value, adds n and writes the sum back; if another thread can change \
                 the value between your read and your write (because the lock was let go, for example by \
                 reading with value() and then locking again to write), its change is overwritten. Do the \
                 read and the write under one MutexGuard."
            );
        }
    }

    fn increment_below_lets_exactly_limit_calls_through() {
        failing_means(Category::CheckThenAct);
        let outcome = finishes("the concurrent increment_below rounds", STRESS_DEADLINE, || {
            first_bad_round(
                BELOW_ROUNDS,
                THREADS,
                |w: &Worker| {
                    let (mut trues, mut falses) = (0, 0);
                    w.repeat(BELOW_CALLS_PER_THREAD, |c| {
                        if c.increment_below(BELOW_LIMIT) { trues += 1 } else { falses += 1 }
                    });
                    (trues, falses)
                },
                |c, calls| {
                    let said_true: usize = calls.iter().map(|&(t, _)| t).sum();
                    let said_false: usize = calls.iter().map(|&(_, f)| f).sum();
                    let value = c.value();
                    // Once any call has said false the limit was reached, and
                    // nothing may go past it: exactly BELOW_LIMIT trues and the
                    // value at exactly BELOW_LIMIT. (A round cut short by the
                    // effort budget may not have got there; then every call
                    // said true, one increment each.)
                    let reached = said_false > 0;
                    let ok = said_true == value && value <= BELOW_LIMIT && (!reached || value == BELOW_LIMIT);
                    if ok {
                        return Ok(());
                    }
                    Err(format!(
                        "{THREADS} threads together called increment_below({BELOW_LIMIT}) {} times on a new \
                         counter. Exactly {BELOW_LIMIT} calls must return true and the value must end at exactly \
                         {BELOW_LIMIT}, never above; but {said_true} returned true and value() is {value}",
                        said_true + said_false
                    ))
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. If increment_below checks the value and then increments as two separate steps (say \
                 `if self.value() < limit {{ self.increment() }}`), a thread can pass the check, be held up \
                 before it increments while the others bring the value to the limit, and then add one more. \
                 Check and increment under one MutexGuard, so no other thread can act between them."
            );
        }
    }

    fn value_never_goes_backwards_while_others_increment() {
        failing_means(Category::LostUpdate);
        // Two threads increment while two others keep reading: the number a
        // reader sees may only grow. A lost update can do worse than lose
        // one increment: a thread that read 5, was held up while others went
        // on to 90, and then wrote 6 moves the counter backwards.
        let outcome = finishes("the concurrent increment() and value() rounds", STRESS_DEADLINE, || {
            first_bad_round(
                OBSERVED_ROUNDS,
                THREADS,
                |w: &Worker| {
                    if w.index.is_multiple_of(2) {
                        let made = w.repeat(OBSERVED_CALLS, |c| c.increment());
                        return (made, None);
                    }
                    let (mut last, mut backwards) = (0, None);
                    w.repeat(OBSERVED_CALLS, |c| {
                        let now = c.value();
                        if now < last && backwards.is_none() {
                            backwards = Some((last, now));
                        }
                        last = now;
                    });
                    (0, backwards)
                },
                |c, seen| {
                    if let Some((before, after)) = seen.iter().find_map(|&(_, b)| b) {
                        return Err(format!(
                            "while two threads called increment(), a reader saw value() return {before} and then {after}"
                        ));
                    }
                    let (got, want) = (c.value(), seen.iter().map(|&(made, _)| made).sum::<usize>());
                    if got != want {
                        return Err(format!(
                            "two threads called increment() {want} times in all while two others read, so the \
                             value must be {want}, but value() is {got}"
                        ));
                    }
                    Ok(())
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. A counter that only ever adds must never be seen going down, and must end with every \
                 increment in it. Both break when an increment reads the value under one lock and writes it \
                 back under another: a thread holding an old read overwrites everything the others added \
                 meanwhile. Hold one MutexGuard for the whole read-add-write."
            );
        }
    }
}

/// How far off the count is, in words.
fn lost_or_gained(want: usize, got: usize) -> String {
    if got < want {
        format!(", {} short: that is what lost updates look like", want - got)
    } else {
        format!(", {} more than the calls added", got - want)
    }
}
