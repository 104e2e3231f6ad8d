//! What each method does, one call at a time.

use crate::support::finishes;
use atomic_counter::AtomicCounter;
use testkit::prelude::*;

/// Compiles only if `T` can be moved to another thread (`Send`), shared
/// between threads by reference (`Sync`) and made with `T::default()`.
fn assert_send_sync_default<T: Send + Sync + Default + 'static>() {}

// Checked when this test crate is compiled: an AtomicCounter that is not Send
// + Sync + Default makes the whole hidden suite fail to build, with rustc's
// error naming the missing trait (for example "cannot be shared between
// threads safely" for a missing Sync: a `Cell` inside instead of an atomic).
const _: fn() = assert_send_sync_default::<AtomicCounter>;

hidden_tests! {
    fn new_counter_starts_at_zero() {
        failing_means(Category::WrongResult);
        let v = finishes("AtomicCounter::new().value()", GENEROUS, || AtomicCounter::new().value());
        assert_eq!(v, 0, "AtomicCounter::new().value() returned {v}: a new counter starts at 0");
    }

    fn default_counter_starts_at_zero() {
        failing_means(Category::WrongResult);
        let v = finishes("AtomicCounter::default().value()", GENEROUS, || AtomicCounter::default().value());
        assert_eq!(v, 0, "AtomicCounter::default().value() returned {v}: Default must give the same counter as new(), at 0");
    }

    fn increment_adds_exactly_one() {
        failing_means(Category::WrongResult);
        let seen = finishes("increment()", GENEROUS, || {
            let c = AtomicCounter::new();
            (0..3).map(|_| { c.increment(); c.value() }).collect::<Vec<_>>()
        });
        assert_eq!(seen, [1, 2, 3], "after 1, 2 and 3 calls to increment() value() returned {seen:?}: each increment adds exactly one");
    }

    fn add_adds_exactly_n() {
        failing_means(Category::WrongResult);
        let seen = finishes("add(n)", GENEROUS, || {
            let c = AtomicCounter::new();
            [5, 0, 1, 1000].iter().map(|&n| { c.add(n); c.value() }).collect::<Vec<_>>()
        });
        assert_eq!(
            seen, [5, 5, 6, 1006],
            "after add(5), add(0), add(1), add(1000) value() returned {seen:?}, not [5, 5, 6, 1006]: add(n) adds exactly n (and add(0) changes nothing)"
        );
    }

    fn value_only_reads() {
        failing_means(Category::WrongResult);
        let seen = finishes("value()", GENEROUS, || {
            let c = AtomicCounter::new();
            c.add(7);
            [c.value(), c.value(), c.value()]
        });
        assert_eq!(seen, [7, 7, 7], "three value() calls on a counter at 7 returned {seen:?}: value() reports the number and never changes it");
    }

    fn counter_is_send_sync_and_default() {
        failing_means(Category::WrongResult);
        // The traits themselves are checked when this crate compiles (see the
        // top of this file); here a counter made by Default is moved into one
        // thread and shared by reference with two more.
        let v = finishes("a counter moved to and shared between threads", GENEROUS, || {
            let c: AtomicCounter = Default::default();
            thread::spawn(move || {
                thread::scope(|s| {
                    s.spawn(|| c.increment());
                    s.spawn(|| c.add(2));
                });
                c.value()
            })
            .join()
            .unwrap()
        });
        assert_eq!(v, 3, "one increment() and one add(2) from two threads left value() at {v}, not 3");
    }

    fn increment_below_increments_while_below_the_limit() {
        failing_means(Category::WrongResult);
        let seen = finishes("increment_below(3)", GENEROUS, || {
            let c = AtomicCounter::new();
            (0..3).map(|_| (c.increment_below(3), c.value())).collect::<Vec<_>>()
        });
        assert_eq!(
            seen, [(true, 1), (true, 2), (true, 3)],
            "three calls to increment_below(3) on a new counter gave (returned, value) = {seen:?}: while the value is below the limit it adds one and returns true"
        );
    }

    fn increment_below_refuses_at_the_limit() {
        failing_means(Category::WrongResult);
        let seen = finishes("increment_below(limit) at the limit", GENEROUS, || {
            let c = AtomicCounter::new();
            c.add(3);
            let at = (c.increment_below(3), c.value());
            let just_below = (c.increment_below(4), c.value());
            let at_again = (c.increment_below(4), c.value());
            [at, just_below, at_again]
        });
        assert_eq!(
            seen[0], (false, 3),
            "increment_below(3) on a counter at 3 gave (returned, value) = {:?}: the limit itself is not below the limit, so it must return false and leave the value at 3 (compare with <, not <=)",
            seen[0]
        );
        assert_eq!(
            seen[1], (true, 4),
            "increment_below(4) on a counter at 3 gave (returned, value) = {:?}: 3 is below 4, so it adds one and returns true",
            seen[1]
        );
        assert_eq!(
            seen[2], (false, 4),
            "increment_below(4) on a counter that just reached 4 gave (returned, value) = {:?}: at the limit it must refuse",
            seen[2]
        );
    }

    fn increment_below_refuses_above_the_limit() {
        failing_means(Category::WrongResult);
        let seen = finishes("increment_below(limit) above the limit", GENEROUS, || {
            let c = AtomicCounter::new();
            c.add(10);
            (c.increment_below(4), c.value())
        });
        assert_eq!(
            seen, (false, 10),
            "increment_below(4) on a counter at 10 gave (returned, value) = {seen:?}: a value above the limit is not below it; return false and change nothing"
        );
    }

    fn increment_below_zero_never_increments() {
        failing_means(Category::WrongResult);
        let seen = finishes("increment_below(0)", GENEROUS, || {
            let c = AtomicCounter::new();
            let first = (c.increment_below(0), c.value());
            let second = (c.increment_below(0), c.value());
            [first, second]
        });
        assert_eq!(
            seen, [(false, 0), (false, 0)],
            "increment_below(0) twice on a new counter gave (returned, value) = {seen:?}: no usize is below 0, so it always returns false and the value stays 0"
        );
    }
}
