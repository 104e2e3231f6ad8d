//! What each method does, one behaviour at a time.

use crate::support::{Waiters, panic_message};
use testkit::prelude::*;
use wait_group::WaitGroup;

/// Compiles only if the group can be shared between threads and built with
/// `Default`, as the curriculum promises.
fn assert_send_sync_default<T: Send + Sync + Default>() {}

/// Runs `wait` on another thread and says whether it returned in time.
fn wait_returns(group: &Arc<WaitGroup>) -> bool {
    let group = group.clone();
    within(GENEROUS, move || group.wait()).is_some()
}

hidden_tests! {
    fn a_new_group_has_nothing_to_wait_for() {
        failing_means(Category::WrongResult);
        assert_send_sync_default::<WaitGroup>();
        for (how, group) in [("WaitGroup::new()", WaitGroup::new()), ("WaitGroup::default()", WaitGroup::default())] {
            assert!(
                wait_returns(&Arc::new(group)),
                "wait() on a fresh group from {how} did not return: its counter starts at zero, \
                 and wait() must return at once when there is nothing to wait for"
            );
        }
    }

    fn wait_returns_at_once_when_every_add_is_matched_by_done() {
        failing_means(Category::WrongResult);
        let group = Arc::new(WaitGroup::new());
        group.add(0);
        assert!(wait_returns(&group), "wait() did not return after add(0): adding zero leaves the counter at zero");
        group.add(2);
        group.add(1);
        for _ in 0..3 {
            group.done();
        }
        assert!(
            wait_returns(&group),
            "add(2), add(1) and then three done() calls bring the counter back to zero, \
             yet wait() did not return: wait() must return at once when the counter is zero"
        );
    }

    fn done_on_a_zero_counter_panics_with_negative_counter() {
        failing_means(Category::WrongResult);
        let fresh = Arc::new(WaitGroup::new());
        let message = within(GENEROUS, move || panic_message(|| fresh.done()))
            .expect("done() on a fresh group neither returned nor panicked within 5 s: it must panic at once");
        let Some(message) = message else {
            panic!(
                "done() on a fresh group (counter zero) returned normally: it must panic with \
                 \"negative WaitGroup counter\". More done() calls than added tasks is a bug in \
                 the caller, and hiding it (by staying at zero or wrapping around) lets wait() \
                 release waiters at the wrong time"
            )
        };
        assert!(
            message.contains("negative WaitGroup counter"),
            "done() on a zero counter panicked, but with the message {message:?}: the message \
             must contain \"negative WaitGroup counter\" so the caller recognises the mistake"
        );

        let used = Arc::new(WaitGroup::new());
        used.add(2);
        let message = within(GENEROUS, move || {
            used.done();
            used.done();
            panic_message(|| used.done())
        })
        .expect("add(2) then three done() calls neither finished nor panicked within 5 s");
        assert!(
            message.is_some_and(|m| m.contains("negative WaitGroup counter")),
            "after add(2), the third done() must panic with \"negative WaitGroup counter\": \
             the counter would go below zero"
        );
    }

    fn wait_blocks_until_the_last_done() {
        failing_means(Category::WrongResult);
        let group = Arc::new(WaitGroup::new());
        group.add(3);
        let waiter = Waiters::spawn(&group, 1);
        waiter.settle();
        assert_eq!(
            waiter.returned(), 0,
            "wait() returned while the counter was 3 (add(3) and no done() yet): \
             it must block until every task has called done()"
        );
        for left in [2, 1] {
            let g = group.clone();
            thread::spawn(move || g.done()).join().expect("done() panicked while the counter was above zero");
            waiter.settle();
            assert_eq!(
                waiter.returned(), 0,
                "wait() returned when the counter had dropped to {left}, not to zero: a waiter \
                 must stay asleep until the last task is done (re-check the counter after every wake-up)"
            );
        }
        let g = group.clone();
        thread::spawn(move || g.done()).join().expect("the last done() panicked");
        failing_means(Category::LostWakeup);
        assert!(
            waiter.all_returned(1, GENEROUS),
            "the counter reached zero (3 adds, 3 done() calls from other threads) but wait() had \
             not returned 5 s later: the done() that brings the counter to zero must wake the waiter"
        );
    }

    fn add_then_done_from_other_threads_releases_the_waiter() {
        failing_means(Category::LostWakeup);
        let group = Arc::new(WaitGroup::new());
        let tasks = 8;
        group.add(tasks);
        let finished = Arc::new(AtomicUsize::new(0));
        for _ in 0..tasks {
            let (group, finished) = (group.clone(), finished.clone());
            thread::spawn(move || {
                finished.fetch_add(1, Ordering::SeqCst);
                group.done();
            });
        }
        let (g, f) = (group.clone(), finished.clone());
        let seen = within(GENEROUS, move || {
            g.wait();
            f.load(Ordering::SeqCst)
        })
        .expect("add(8) and then 8 done() calls from 8 threads, yet wait() had not returned after 5 s: \
                 the done() that brings the counter to zero must wake the waiter");
        failing_means(Category::WrongResult);
        assert_eq!(
            seen, tasks,
            "wait() returned when only {seen} of {tasks} tasks had finished: it must return only \
             once every task has called done()"
        );
    }

    fn every_waiter_is_released_when_the_counter_reaches_zero() {
        failing_means(Category::WrongResult);
        let group = Arc::new(WaitGroup::new());
        group.add(1);
        let waiters = Waiters::spawn(&group, 4);
        waiters.settle();
        assert_eq!(waiters.returned(), 0, "wait() returned while the counter was 1: it must block until zero");
        group.done();
        failing_means(Category::LostWakeup);
        if !waiters.all_returned(4, GENEROUS) {
            panic!(
                "4 threads were blocked in wait(); the counter reached zero, but only {} of them \
                 returned within 5 s. Every waiting thread must be woken, not just one \
                 (Condvar::notify_all, not notify_one): any number of threads may wait at once",
                waiters.returned()
            );
        }
    }

    fn the_group_can_be_used_again_after_reaching_zero() {
        failing_means(Category::WrongResult);
        let group = Arc::new(WaitGroup::new());
        group.add(2);
        group.done();
        group.done();
        assert!(wait_returns(&group), "wait() did not return after add(2) and two done() calls");

        for round in 2..=3 {
            failing_means(Category::WrongResult);
            group.add(2);
            let waiter = Waiters::spawn(&group, 1);
            waiter.settle();
            assert_eq!(
                waiter.returned(), 0,
                "round {round}: after the counter had reached zero once, add(2) started new work, \
                 yet wait() returned before any of it was done. The group must be reusable: \
                 wait() looks at the counter as it is now, not at whether it was ever zero"
            );
            group.done();
            waiter.settle();
            assert_eq!(
                waiter.returned(), 0,
                "round {round}: wait() returned while 1 of 2 new tasks was still running: \
                 a reused group must block until its counter is zero again"
            );
            group.done();
            failing_means(Category::LostWakeup);
            assert!(
                waiter.all_returned(1, GENEROUS),
                "round {round}: the counter reached zero again, but wait() did not return within \
                 5 s: a group must release its waiters every time it reaches zero, not only the first"
            );
        }
    }
}
