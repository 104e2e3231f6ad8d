//! Schedule exploration for exercise 02: the learner's WaitGroup, rebuilt
//! on shuttle's Mutex, Condvar, atomics and threads (see
//! `xtask/src/engine/explore.rs`), run under thousands of chosen interleavings.
//!
//! A lost wakeup hides in a window a few instructions wide: real threads
//! started together almost never land in it, but a scheduler that may
//! switch threads at every lock, wait and notify finds it in a fraction of
//! a second, and finds it again on every run. A deadlock here is shuttle
//! seeing every thread blocked: the waiter asleep, nobody left to wake it.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p wait_group_tests`.

use shuttle::sync::Arc;
use shuttle::sync::atomic::{AtomicUsize, Ordering};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};
use wait_group::WaitGroup;

/// `workers` threads each do their part and call `done`; every waiter
/// must come back from `wait` only after all of them, in every schedule.
fn waiters_see_every_done(workers: usize, waiters: usize) {
    let group = Arc::new(WaitGroup::new());
    group.add(workers);
    let finished = Arc::new(AtomicUsize::new(0));
    for _ in 0..workers {
        let (group, finished) = (group.clone(), finished.clone());
        shuttle::thread::spawn(move || {
            finished.fetch_add(1, Ordering::SeqCst);
            group.done();
        });
    }
    let mut handles = Vec::new();
    for _ in 1..waiters {
        let (group, finished) = (group.clone(), finished.clone());
        handles.push(shuttle::thread::spawn(move || {
            group.wait();
            finished.load(Ordering::SeqCst)
        }));
    }
    group.wait();
    let seen = finished.load(Ordering::SeqCst);
    assert_eq!(seen, workers, "wait() returned after {seen} of {workers} done() calls");
    for handle in handles {
        let seen = handle.join().expect("a waiter panicked");
        assert_eq!(seen, workers, "a second waiter returned after {seen} of {workers} done() calls");
    }
}

hidden_tests! {
    fn explored_wait_returns_after_the_last_done_in_every_schedule() {
        failing_means(Category::LostWakeup);
        explore(
            "wait_group",
            "explored_wait_returns_after_the_last_done_in_every_schedule",
            Budget::default(),
            "wait() must come back once the counter reaches zero, and not before, whatever the order in \
             which the threads run. If wait() checks the counter, lets go of the lock and only then starts \
             waiting on the Condvar (or checks an atomic outside the lock), a done() that lands in between \
             notifies nobody and the waiter sleeps for ever: check and wait under one MutexGuard, in a loop \
             (while *count > 0 { count = condvar.wait(count).unwrap(); }).",
            || waiters_see_every_done(2, 1),
        );
    }

    fn explored_every_waiter_is_released_in_every_schedule() {
        failing_means(Category::LostWakeup);
        explore(
            "wait_group",
            "explored_every_waiter_is_released_in_every_schedule",
            Budget::default(),
            "with two threads in wait(), both must come back once the counter reaches zero, whatever the \
             order in which the threads run. Waking one waiter (notify_one) or waking before the counter \
             changes leaves another asleep for ever: change the counter, then notify_all, under the lock.",
            || waiters_see_every_done(2, 2),
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
