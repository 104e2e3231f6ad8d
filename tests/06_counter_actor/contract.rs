//! What a handle and the owner thread do, one step at a time.

use crate::support::{
    WHY_VALUE_MISSED, WRONG_FINAL_COUNT, all_asleep, calls, calls_within, owner_returns, spawn_watched,
};
use counter_actor::{CounterHandle, spawn_counter};
use testkit::prelude::*;

/// Compiles only if `T` can be moved to another thread (`Send`) and cloned.
fn assert_send_clone<T: Send + Clone + 'static>() {}

// Checked when this test crate is compiled: a handle that is not Send + Clone
// makes the whole hidden suite fail to build, with rustc's error naming the
// missing trait (for example an `Rc` inside instead of a Sender).
const _: fn() = assert_send_clone::<CounterHandle>;

/// The one-handle test: bursts of increments, each followed by value()...
const BURSTS: usize = 20;
const BURST: usize = 10;
/// ...and then up to this many increments, with a value() after each.
const ONE_BY_ONE: usize = 300;

hidden_tests! {
    fn a_new_counter_reads_zero_and_returns_zero() {
        failing_means(Category::WrongResult);
        let (handle, owner) = calls("spawn_counter()", spawn_counter);
        let v = calls("value() on a new counter", move || {
            let v = handle.value();
            drop(handle);
            v
        });
        assert_eq!(v, 0, "value() on a new counter returned {v}: the count starts at 0");
        owner_returns(owner, 0, "a new counter got no increment", WRONG_FINAL_COUNT);
    }

    fn value_includes_every_earlier_increment_of_the_same_handle() {
        failing_means(Category::Order);
        // One handle on one thread: every increment is made before the
        // value() that follows it, and there is nobody else, so value() must
        // be exactly the number made. First in bursts: the test waits until
        // the owner is asleep, makes 10 increments and asks; the owner wakes
        // to find several messages waiting, which is when an owner with two
        // queues (increments, requests) can take the request too early.
        // Then one at a time, as the lesson says: 1, 2, 3, ...
        let (handle, owner, owner_threads) = spawn_watched();
        let seen = calls_within(Duration::from_secs(9), "increment() and value() on one handle", move || {
            let mut made = 0;
            for _ in 0..BURSTS {
                all_asleep(&owner_threads, Duration::from_millis(50));
                for _ in 0..BURST {
                    handle.increment();
                }
                made += BURST;
                let v = handle.value();
                if v != made {
                    return Err((format!("made {BURST} increments in a row, {made} in all, and then value() returned {v}"), v < made));
                }
            }
            let give_up = Instant::now() + Duration::from_millis(500);
            for _ in 0..ONE_BY_ONE {
                if Instant::now() >= give_up {
                    break; // a slow machine: the bursts above are the sharper test
                }
                handle.increment();
                made += 1;
                let v = handle.value();
                if v != made {
                    return Err((
                        format!("made {made} increments, calling value() after each, and this time value() returned {v}"),
                        v < made,
                    ));
                }
            }
            Ok(made)
        });
        let made = match seen {
            Ok(made) => made,
            Err((why, missed)) => {
                // Missing increments: the request overtook them. More: a wrong count.
                failing_means(if missed { Category::Order } else { Category::WrongResult });
                panic!(
                    "one handle {why}. With a single handle on a single thread it must be exactly the number of \
                     increments made. {}",
                    if missed { WHY_VALUE_MISSED } else { "The count went up by more than the increments made." }
                )
            }
        };
        failing_means(Category::WrongResult);
        owner_returns(owner, made, &format!("one handle made {made} increments"), WRONG_FINAL_COUNT);
    }

    fn owner_ends_and_returns_the_count_once_the_only_handle_is_dropped() {
        failing_means(Category::WrongResult);
        let (handle, owner) = calls("spawn_counter()", spawn_counter);
        calls("5 calls to increment()", move || {
            for _ in 0..5 {
                handle.increment();
            }
            // `handle` is dropped here: no handle is left.
        });
        owner_returns(owner, 5, "one handle made 5 increments", WRONG_FINAL_COUNT);
    }

    fn clones_talk_to_the_same_owner() {
        failing_means(Category::WrongResult);
        let (a, owner) = calls("spawn_counter()", spawn_counter);
        calls("increment() through a handle and two clones", move || {
            let b = a.clone();
            let c = b.clone();
            a.increment();
            b.increment();
            b.increment();
            c.increment();
            c.increment();
            c.increment();
        });
        owner_returns(
            owner,
            6,
            "a handle made 1 increment, its clone 2, and a clone of that clone 3",
            "Every clone must send to the same owner thread, so that the one count holds every increment: \
             clone the Sender (deriving Clone does that), do not start a new counter in clone().",
        );
    }

    fn owner_keeps_running_while_any_clone_is_alive() {
        failing_means(Category::WrongResult);
        let (a, owner) = calls("spawn_counter()", spawn_counter);
        let b = a.clone();
        let (seen, b) = calls("increment() and value() through a clone after the original was dropped", move || {
            drop(a);
            b.increment();
            b.increment();
            (b.value(), b)
        });
        if seen < 2 {
            failing_means(Category::Order);
        }
        assert_eq!(
            seen, 2,
            "the original handle was dropped, then its clone made 2 increments and called value(), which \
             returned {seen}; nobody else made any, so it must be 2. {}",
            if seen < 2 { WHY_VALUE_MISSED } else { "" }
        );
        let still_running = !owner.is_finished();
        drop(b);
        failing_means(Category::WrongResult);
        assert!(
            still_running,
            "the owner thread had already ended while a clone of the handle was still alive: it must run until \
             every handle is gone. Let the channel tell you: the owner's recv fails only when the last \
             Sender has been dropped, so do not send a \"stop\" message when one handle is dropped."
        );
        owner_returns(owner, 2, "a clone made 2 increments after the original handle was dropped", WRONG_FINAL_COUNT);
    }

    fn the_last_handle_may_be_dropped_on_another_thread() {
        failing_means(Category::WrongResult);
        let (handle, owner) = calls("spawn_counter()", spawn_counter);
        let clone = handle.clone();
        let others = thread::spawn(move || {
            // The original handle moves to one thread, its clone to another;
            // each makes 3 increments and is dropped when its thread ends.
            let first = thread::spawn(move || (0..3).for_each(|_| handle.increment()));
            let second = thread::spawn(move || (0..3).for_each(|_| clone.increment()));
            [first.join().is_ok(), second.join().is_ok()]
        });
        let joined = calls("two threads, each making 3 increments through its own handle", move || others.join());
        assert_eq!(
            joined.ok(),
            Some([true, true]),
            "a thread that made 3 increments through a handle moved into it panicked: a handle must work on \
             whatever thread owns it"
        );
        owner_returns(
            owner,
            6,
            "two threads each made 3 increments through a handle moved into them and dropped it when they ended",
            WRONG_FINAL_COUNT,
        );
    }

    fn two_counters_do_not_share_their_count() {
        failing_means(Category::WrongResult);
        let ((a, a_owner), (b, b_owner)) = calls("spawn_counter() twice", || (spawn_counter(), spawn_counter()));
        let seen = calls("increment() and value() on two counters", move || {
            a.increment();
            a.increment();
            b.increment();
            b.increment();
            b.increment();
            (a.value(), b.value())
        });
        if seen.0 < 2 || seen.1 < 3 {
            failing_means(Category::Order);
        }
        assert_eq!(
            seen,
            (2, 3),
            "two counters from two calls to spawn_counter() got 2 and 3 increments, and value() on them \
             returned {seen:?}. {}",
            if seen.0 < 2 || seen.1 < 3 {
                WHY_VALUE_MISSED
            } else {
                "Each call starts a counter of its own, with its own owner thread and channel; a channel or \
                 count kept in a static is shared by every counter."
            }
        );
        failing_means(Category::WrongResult);
        owner_returns(a_owner, 2, "the first of two counters got 2 increments", WRONG_FINAL_COUNT);
        owner_returns(b_owner, 3, "the second of two counters got 3 increments", WRONG_FINAL_COUNT);
    }
}
