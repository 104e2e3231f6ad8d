//! Many threads on one counter at once, released together by a Barrier, with
//! an exact count checked after every round.
//!
//! The races these tests look for live in a window a few instructions wide
//! (between a load and the store or exchange that follows it), so one round
//! proves little. Each test runs rounds until one breaks its invariant or the
//! round budget is spent. The budgets are several times what the racy
//! implementations in `mutants/` needed to be caught in every one of many
//! runs on a loaded 2-core machine; a correct atomic counter runs them all
//! in about 1.7 CPU-seconds (the check-then-add test's 100 rounds are 0.8).
//!
//! Measured on the 2-core machine at a load average of 22-25, 20 runs each
//! (the round in which the mutant was caught; the budget in brackets):
//! lost_update_in_increment 1-10 [40] (and 1-3 [40] when every thread also
//! reads), lost_update_in_add 1-9 [40], increment_below_gives_up_after_one_failed_exchange
//! 1-7 [40], increment_below_overshoots_then_takes_back 1-5 [40],
//! increment_below_checks_then_adds 1-17 [100] (1-36 over 75 more runs of
//! variants of the test: it is the rarest race, hence the larger budget).
//! Rounds alternate between threads placed anywhere and all pinned to one
//! CPU (`support::Placement`): with the whole process pinned to one CPU,
//! the lost updates and the one-try exchange were caught in rounds 1-5 and
//! the check-then-add in 1-10, so neither placement is a blind spot.

use crate::support::{Worker, finishes, first_bad_round};
use testkit::prelude::*;

const THREADS: usize = 4;
/// A stress test's own deadline: far above what a correct counter needs
/// (the rounds stop after `support::EFFORT` in any case), and short enough
/// that a counter stuck in an endless loop fails with an explanation.
const STRESS_DEADLINE: Duration = Duration::from_secs(9);

/// Calls per thread per round. An atomic operation takes nanoseconds, so a
/// round must be long enough that threads are still running when the OS
/// interrupts them (or runs them side by side on two cores).
const CALLS_PER_THREAD: usize = 50_000;

const INCREMENT_ROUNDS: usize = 40;
const ADD_ROUNDS: usize = 40;

/// The check-then-add race strikes only when the value reaches the limit,
/// and only if a thread was interrupted between its check and its add just
/// then, so it needs many more rounds than the lost updates. More threads
/// than cores: several of them are interrupted at any moment.
const BELOW_ROUNDS: usize = 100;
const BELOW_THREADS: usize = 8;
const BELOW_CALLS_PER_THREAD: usize = THREADS * CALLS_PER_THREAD / BELOW_THREADS;
/// Half the calls: every thread is still busy (and some are interrupted
/// half-way through a call) when the value reaches it.
const BELOW_LIMIT: usize = BELOW_THREADS * BELOW_CALLS_PER_THREAD / 2;

const EXACT_ROUNDS: usize = 40;
/// The threads together make exactly this many `increment_below` calls, so
/// the value reaches the limit only with the very last one: every call must
/// say true.
const EXACT_LIMIT: usize = THREADS * CALLS_PER_THREAD;

/// The two tests in which every thread reads the value after each call it
/// makes use more threads than cores, so that at any moment several of them
/// are interrupted half-way through a call while the others look.
const WATCHING_THREADS: usize = 8;
const WATCHED_CALLS_PER_THREAD: usize = THREADS * CALLS_PER_THREAD / WATCHING_THREADS;

const WATCHED_ROUNDS: usize = 40;
/// Low, so that the threads spend most of the round at the limit, where an
/// implementation that goes over and then back shows it.
const WATCHED_LIMIT: usize = 1_000;

const OBSERVED_ROUNDS: usize = 40;

hidden_tests! {
    fn concurrent_increments_are_never_lost() {
        failing_means(Category::LostUpdate);
        let outcome = finishes("the concurrent increment() rounds", STRESS_DEADLINE, || {
            first_bad_round(
                INCREMENT_ROUNDS,
                THREADS,
                |w: &Worker| w.repeat(CALLS_PER_THREAD, |c| c.increment()),
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
                "{why}. A load followed by a store of the loaded value plus one is two atomic steps, not one: \
                 another thread's increment can land between them, and the store then erases it. Use one \
                 read-modify-write operation, `fetch_add(1, ..)`, which the processor performs as a single \
                 step."
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
                    (n, w.repeat(CALLS_PER_THREAD, |c| c.add(n)))
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
                "{why}. add(n) that loads the value and then stores the sum is two atomic steps: if another \
                 thread changes the value in between, the store overwrites its change. `fetch_add(n, ..)` \
                 reads, adds and writes in one indivisible step."
            );
        }
    }

    fn increment_below_lets_exactly_limit_calls_through() {
        failing_means(Category::CheckThenAct);
        let outcome = finishes("the concurrent increment_below rounds", STRESS_DEADLINE, || {
            first_bad_round(
                BELOW_ROUNDS,
                BELOW_THREADS,
                |w: &Worker| count_answers(w, BELOW_CALLS_PER_THREAD, BELOW_LIMIT),
                |c, calls| {
                    let (said_true, said_false) = totals(&calls);
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
                        "{BELOW_THREADS} threads together called increment_below({BELOW_LIMIT}) {} times on a new \
                         counter. Exactly {BELOW_LIMIT} calls must return true and the value must end at exactly \
                         {BELOW_LIMIT}, never above; but {said_true} returned true and value() is {value}",
                        said_true + said_false
                    ))
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. If increment_below loads the value, compares it with the limit and then calls \
                 fetch_add, several threads can all see limit - 1, all pass the check, and all add one: the \
                 check and the add are separate steps. Make the add conditional on the value you checked: \
                 `compare_exchange(seen, seen + 1, ..)` succeeds only if nobody changed the value since you \
                 read it (in a loop), or let `fetch_update` run that loop for you."
            );
        }
    }

    fn increment_below_says_true_to_every_call_below_the_limit() {
        failing_means(Category::CheckThenAct);
        // Exactly EXACT_LIMIT calls in all, so none of them finds the value at
        // the limit: each one must add one and say true, however many
        // threads race for the same value.
        let outcome = finishes("the concurrent increment_below rounds", STRESS_DEADLINE, || {
            first_bad_round(
                EXACT_ROUNDS,
                THREADS,
                |w: &Worker| count_answers(w, EXACT_LIMIT / THREADS, EXACT_LIMIT),
                |c, calls| {
                    let (said_true, said_false) = totals(&calls);
                    let value = c.value();
                    if said_false == 0 && value == said_true {
                        return Ok(());
                    }
                    Err(format!(
                        "{THREADS} threads together called increment_below({EXACT_LIMIT}) {} times on a new \
                         counter, so the value never reached the limit and every call had to return true and add \
                         one; but {said_false} returned false, {said_true} returned true and value() is {value}",
                        said_true + said_false
                    ))
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. A failed compare_exchange does not mean the limit was reached: it means another \
                 thread changed the value between your load and your exchange. Do not give up then: take the \
                 value the failed exchange returned (`Err(actual)`), compare it with the limit again, and \
                 retry with it, in a loop (or use `fetch_update`, which loops for you). Only a value at or \
                 above the limit is a reason to return false."
            );
        }
    }

    fn value_never_passes_the_limit_while_increment_below_races() {
        failing_means(Category::CheckThenAct);
        // Every thread calls increment_below(WATCHED_LIMIT), far more often
        // than the limit allows, and reads value() after each call. Nobody
        // calls increment() or add(), so no thread may ever see the value
        // above the limit, nor going down. Each thread watches the others:
        // whenever one is interrupted half-way through a call, the threads
        // still running read the value it left behind.
        let outcome = finishes("the concurrent increment_below() and value() rounds", STRESS_DEADLINE, || {
            first_bad_round(
                WATCHED_ROUNDS,
                WATCHING_THREADS,
                |w: &Worker| {
                    let (mut trues, mut last, mut wrong) = (0, 0, None);
                    w.repeat(WATCHED_CALLS_PER_THREAD, |c| {
                        if c.increment_below(WATCHED_LIMIT) {
                            trues += 1;
                        }
                        let now = c.value();
                        if (now > WATCHED_LIMIT || now < last) && wrong.is_none() {
                            wrong = Some((last, now));
                        }
                        last = now;
                    });
                    (trues, wrong)
                },
                |c, seen| {
                    if let Some((before, after)) = seen.iter().find_map(|&(_, w)| w) {
                        return Err(format!(
                            "while {WATCHING_THREADS} threads called increment_below({WATCHED_LIMIT}) and value() \
                             in turn, one of them saw value() return {before} and then {after}"
                        ));
                    }
                    let said_true: usize = seen.iter().map(|&(t, _)| t).sum();
                    let value = c.value();
                    if value != said_true || value > WATCHED_LIMIT {
                        return Err(format!(
                            "{WATCHING_THREADS} threads called increment_below({WATCHED_LIMIT}) and value() in \
                             turn; {said_true} calls returned true, but value() is {value}"
                        ));
                    }
                    Ok(())
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. The value may only ever be a count of the calls that returned true: never above the \
                 limit, never going back. Adding one first and taking it back when it went over the limit \
                 (fetch_add, then fetch_sub) lets other threads see the value above the limit in between, \
                 and see it drop. Add only once you know the result stays within the limit: \
                 compare_exchange from the value you checked, in a loop, or fetch_update."
            );
        }
    }

    fn value_never_goes_backwards_while_others_increment() {
        failing_means(Category::LostUpdate);
        // Every thread calls increment() and then value(), over and over: the
        // numbers one thread reads may only grow. A lost update can do worse
        // than lose one increment: a thread that loaded 5, was held up while
        // others went on to 90, and then stored 6 moves the counter
        // backwards, under the eyes of every thread that had read 90.
        let outcome = finishes("the concurrent increment() and value() rounds", STRESS_DEADLINE, || {
            first_bad_round(
                OBSERVED_ROUNDS,
                WATCHING_THREADS,
                |w: &Worker| {
                    let (mut last, mut backwards) = (0, None);
                    let made = w.repeat(WATCHED_CALLS_PER_THREAD, |c| {
                        c.increment();
                        let now = c.value();
                        if now < last && backwards.is_none() {
                            backwards = Some((last, now));
                        }
                        last = now;
                    });
                    (made, backwards)
                },
                |c, seen| {
                    if let Some((before, after)) = seen.iter().find_map(|&(_, b)| b) {
                        return Err(format!(
                            "while {WATCHING_THREADS} threads called increment() and value() in turn, one of them \
                             saw value() return {before} and then {after}"
                        ));
                    }
                    let (got, want) = (c.value(), seen.iter().map(|&(made, _)| made).sum::<usize>());
                    if got != want {
                        return Err(format!(
                            "{WATCHING_THREADS} threads called increment() {want} times in all, so the value must \
                             be {want}, but value() is {got}{}",
                            lost_or_gained(want, got)
                        ));
                    }
                    Ok(())
                },
            )
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. A counter that only ever adds must never be seen going down, and must end with every \
                 increment in it. Both break when an increment loads the value and later stores it plus one: \
                 a thread holding an old load overwrites everything the others added meanwhile. Use \
                 `fetch_add`, one indivisible read-modify-write. (Any Ordering will do here, even Relaxed: \
                 the loads of one thread from one atomic never go back in time.)"
            );
        }
    }
}

/// Calls `increment_below(limit)` up to `calls` times (fewer if the effort
/// budget runs out) and counts the answers: (true, false).
fn count_answers(w: &Worker, calls: usize, limit: usize) -> (usize, usize) {
    let (mut trues, mut falses) = (0, 0);
    w.repeat(calls, |c| if c.increment_below(limit) { trues += 1 } else { falses += 1 });
    (trues, falses)
}

/// The answers of every thread added up: (true, false).
fn totals(calls: &[(usize, usize)]) -> (usize, usize) {
    calls.iter().fold((0, 0), |(t, f), &(t1, f1)| (t + t1, f + f1))
}

/// How far off the count is, in words.
fn lost_or_gained(want: usize, got: usize) -> String {
    if got < want {
        format!(", {} short: that is what lost updates look like", want - got)
    } else {
        format!(", {} more than the calls added", got - want)
    }
}
