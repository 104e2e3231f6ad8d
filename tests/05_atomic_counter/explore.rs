//! Schedule exploration for exercise 05: the learner's AtomicCounter,
//! rebuilt on shuttle's atomics and threads (see `xtask/src/engine/explore.rs`),
//! run under thousands of chosen interleavings.
//!
//! Every race this exercise warns about sits between two atomic operations
//! of one call: a load and the store that follows it, a load and the
//! compare_exchange or fetch_add that depends on it, a fetch_add and the
//! fetch_sub that takes it back. Real threads land in that window only
//! when the OS interrupts one of them there, so the stress tests need many
//! rounds of many calls. Shuttle may switch threads at every atomic
//! access, so two threads making a few calls each are enough: the schedule
//! that splits the pair is among the ones it tries, on every run.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p atomic_counter_tests`.

use atomic_counter::AtomicCounter;
use shuttle::sync::Arc;
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// Two threads, each `increment()`, `add(n)`, `increment()` with its own
/// `n`, so a lost add and a lost increment both show in the total.
fn increments_and_adds_all_count() {
    let counter = Arc::new(AtomicCounter::new());
    let amounts = [2, 3];
    let handles: Vec<_> = amounts
        .iter()
        .map(|&n| {
            let counter = counter.clone();
            shuttle::thread::spawn(move || {
                counter.increment();
                counter.add(n);
                counter.increment();
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a thread calling increment() and add() panicked");
    }
    let want: usize = amounts.iter().map(|n| n + 2).sum();
    let got = counter.value();
    assert_eq!(
        got, want,
        "two threads called increment(), add(n), increment() on a new counter (n = 2 in one, 3 in the other), so \
         value() must be {want}, but it is {got}"
    );
}

/// `threads` threads each call `increment_below(limit)` `calls` times, and
/// read `value()` after every call. Returns, per thread, the answers and
/// what it read; checks nothing itself.
fn race_increment_below(threads: usize, calls: usize, limit: usize) -> (Arc<AtomicCounter>, Vec<Vec<(bool, usize)>>) {
    let counter = Arc::new(AtomicCounter::new());
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let counter = counter.clone();
            shuttle::thread::spawn(move || {
                (0..calls)
                    .map(|_| {
                        let said = counter.increment_below(limit);
                        (said, counter.value())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let seen = handles.into_iter().map(|h| h.join().expect("a thread calling increment_below panicked")).collect();
    (counter, seen)
}

/// As many calls as the limit: none of them can find the value at the
/// limit, so every one must add one and say true.
fn every_call_below_the_limit_succeeds() {
    const THREADS: usize = 2;
    const CALLS: usize = 2;
    const LIMIT: usize = THREADS * CALLS;
    let (counter, seen) = race_increment_below(THREADS, CALLS, LIMIT);
    let refused = seen.iter().flatten().filter(|(said, _)| !said).count();
    let value = counter.value();
    assert!(
        refused == 0 && value == LIMIT,
        "{THREADS} threads called increment_below({LIMIT}) {CALLS} times each on a new counter: {LIMIT} calls in \
         all, so the value was below the limit at every call and each had to add one and return true; but \
         {refused} returned false and value() is {value}"
    );
}

/// Twice as many calls as the limit, every thread reading after each call:
/// exactly `limit` calls may say true, and nobody may ever see the value
/// above the limit or going down.
fn nobody_sees_the_limit_passed() {
    const THREADS: usize = 2;
    const CALLS: usize = 2;
    const LIMIT: usize = 2;
    let (counter, seen) = race_increment_below(THREADS, CALLS, LIMIT);
    for reads in &seen {
        let mut last = 0;
        for &(_, now) in reads {
            assert!(
                now <= LIMIT && now >= last,
                "while {THREADS} threads called increment_below({LIMIT}) and value() in turn, one of them read \
                 {last} and then {now}: the value may never be above {LIMIT}, nor go down"
            );
            last = now;
        }
    }
    let said_true = seen.iter().flatten().filter(|(said, _)| *said).count();
    let value = counter.value();
    assert!(
        said_true == LIMIT && value == LIMIT,
        "{THREADS} threads called increment_below({LIMIT}) {CALLS} times each on a new counter: exactly {LIMIT} \
         calls must return true and the value must end at {LIMIT}; but {said_true} returned true and value() is \
         {value}"
    );
}

hidden_tests! {
    fn explored_no_increment_or_add_is_lost_in_any_schedule() {
        failing_means(Category::LostUpdate);
        explore(
            "atomic_counter",
            "explored_no_increment_or_add_is_lost_in_any_schedule",
            Budget::default(),
            "every increment() and add(n) must end up in the value, whatever the order in which the threads \
             run. Loading the value and then storing it plus one (or plus n) is two atomic steps, not one: a \
             thread switched out between them stores a sum computed from a value that is no longer there, and \
             wipes out whatever the other thread added meanwhile. Change the number in one read-modify-write \
             step: fetch_add(1, ..) and fetch_add(n, ..).",
            increments_and_adds_all_count,
        );
    }

    fn explored_increment_below_says_true_while_below_the_limit() {
        failing_means(Category::CheckThenAct);
        explore(
            "atomic_counter",
            "explored_increment_below_says_true_while_below_the_limit",
            Budget::default(),
            "while the value is below the limit, every increment_below call must add one and return true, \
             whatever the order in which the threads run. A failed compare_exchange does not mean the limit \
             was reached, only that another thread changed the value after you loaded it: returning false \
             then refuses a call that had room, and retrying with the value you loaded before the loop never \
             succeeds again (the counter has moved on and never comes back), so the call spins for ever. On \
             failure take the value compare_exchange gives back (Err(actual)), compare it with the limit \
             again and retry from it, in a loop, or let fetch_update run that loop.",
            every_call_below_the_limit_succeeds,
        );
    }

    fn explored_value_never_passes_the_limit_in_any_schedule() {
        failing_means(Category::CheckThenAct);
        explore(
            "atomic_counter",
            "explored_value_never_passes_the_limit_in_any_schedule",
            Budget::default(),
            "with only increment_below calls, exactly `limit` of them may return true, and no thread may ever \
             read the value above the limit or see it go down, whatever the order in which the threads run. \
             Loading the value, comparing it with the limit and then calling fetch_add lets two threads both \
             see limit - 1 and both add; adding first and taking it back with fetch_sub when it went over \
             lets a reader see the value above the limit in between. Make the add itself depend on the value \
             you checked: compare_exchange(seen, seen + 1, ..), and after a failure check the limit again \
             with the value it returned, in a loop (or fetch_update).",
            nobody_sees_the_limit_passed,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
