//! Schedule exploration for exercise 01: the learner's `send_all`, rebuilt
//! on shuttle's threads, scopes, locks and atomics (see
//! `xtask/src/engine/explore.rs`), run under thousands of chosen
//! interleavings.
//!
//! `thread::scope` and join handles make most ways of waiting right by
//! construction; what they leave to chance is a wait kept by hand (a
//! counter of finished calls and a Condvar), whose lost wakeup lives in a
//! window a few instructions wide that real threads almost never hit, and
//! calls that do not all run at once. A deadlock here is shuttle seeing
//! every thread blocked: `send_all` asleep with no call left to wake it, or
//! a call waiting for another call that `send_all` has not started.
//!
//! The tests use the public API only, so any correct style passes: a
//! scope, join handles, a counter and a Condvar, a channel. Each test
//! changes its declared category as the calls go: a deadlock before the
//! calls could all run means they were not run at once, one after they
//! have all finished means `send_all` slept through the last one's news.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p send_all_tests`.

use send_all::send_all;
use shuttle::sync::atomic::{AtomicUsize, Ordering};
use shuttle::sync::{Arc, Condvar, Mutex};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

fn to_strings(addresses: &[&str]) -> Vec<String> {
    addresses.iter().map(|a| a.to_string()).collect()
}

/// Calls `send_all` on a thread of its own, waits for it, and passes on its
/// panic, declared as one: no call in these tests panics, so `send_all` has
/// no panic of its own to report. (On a thread of its own, with this thread
/// still running beside it for a step, because shuttle refuses a test in
/// which no two threads could ever run at once, which is what calls made in
/// a plain loop would be; here they pass the first test and deadlock in the
/// second, as calls not running at once.) Returns what `at_return` saw,
/// run on that thread the moment `send_all` returned.
fn send_all_on_a_thread<T: Send + 'static>(
    addresses: Vec<String>,
    send_email: impl Fn(&str) + Send + Sync + 'static,
    at_return: impl FnOnce() -> T + Send + 'static,
) -> T {
    let caller = shuttle::thread::spawn(move || {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| send_all(&addresses, send_email))) {
            failing_means(Category::Panic);
            resume_unwind(panic);
        }
        at_return()
    });
    shuttle::thread::yield_now();
    match caller.join() {
        Ok(seen) => seen,
        Err(panic) => {
            failing_means(Category::Panic);
            resume_unwind(panic)
        }
    }
}

/// Lets any thread that `send_all` left behind run a while, so that a call
/// which begins only after `send_all` returned shows.
fn let_stragglers_run(entries: usize) {
    for _ in 0..4 * entries {
        shuttle::thread::yield_now();
    }
}

const LEFT_BEHIND: &str = "send_all must wait for every thread it \
                           started (join each handle, or start them inside std::thread::scope, which joins \
                           them all) before it returns";

/// How the calls of one `send_all` went: how many began, and the address
/// of each that finished (recorded as its last step).
#[derive(Default)]
struct Calls {
    started: AtomicUsize,
    finished: Mutex<Vec<String>>,
}

/// Three calls that return at once, one address listed twice: when
/// `send_all` returns, every call has finished, one per entry.
fn returns_after_every_call() {
    let addresses = to_strings(&["ana@example.com", "bo@example.com", "ana@example.com"]);
    let entries = addresses.len();
    // A deadlock while calls are still to finish: something in send_all
    // blocks calls that return at once.
    failing_means(Category::Deadlock);
    let calls = Arc::new(Calls::default());
    let (in_calls, at_return) = (calls.clone(), calls.clone());
    let (started, finished) = send_all_on_a_thread(
        addresses.clone(),
        move |address: &str| {
            in_calls.started.fetch_add(1, Ordering::SeqCst);
            let mut finished = in_calls.finished.lock().unwrap();
            finished.push(address.to_string());
            if finished.len() == entries {
                // From here on a deadlock is send_all waiting for calls that
                // have all finished.
                failing_means(Category::LostWakeup);
            }
        },
        move || (at_return.started.load(Ordering::SeqCst), at_return.finished.lock().unwrap().clone()),
    );
    failing_means(Category::LeakedThread);
    assert!(
        started == finished.len(),
        "send_all returned while {} of its calls had begun and not finished: it must wait for every call \
         it started",
        started - finished.len()
    );
    let_stragglers_run(entries);
    let later = calls.started.load(Ordering::SeqCst);
    assert!(
        later == started,
        "send_all returned before {} of its calls had begun (they began after it): {LEFT_BEHIND}",
        later - started
    );
    failing_means(Category::WrongResult);
    let mut made = finished.clone();
    made.sort();
    let mut want = addresses.clone();
    want.sort();
    assert!(
        made == want,
        "when send_all returned, the finished calls were {finished:?} for the entries {addresses:?}: it must \
         make one call per entry (an address listed twice is sent twice) and return only after all of them \
         have finished"
    );
}

/// How many calls have begun, and a Condvar to wait for the rest.
#[derive(Default)]
struct Meeting {
    arrived: Mutex<usize>,
    all_here: Condvar,
    finished: Mutex<Vec<String>>,
}

/// Three calls that each wait until all three have begun: they can finish
/// only if they run at the same time.
fn calls_run_at_the_same_time() {
    let addresses = to_strings(&["ana@example.com", "bo@example.com", "cy@example.com"]);
    let entries = addresses.len();
    failing_means(Category::NotConcurrent);
    let meeting = Arc::new(Meeting::default());
    let (in_calls, at_return) = (meeting.clone(), meeting.clone());
    let (arrived, finished) = send_all_on_a_thread(
        addresses.clone(),
        move |address: &str| {
            let mut arrived = in_calls.arrived.lock().unwrap();
            *arrived += 1;
            in_calls.all_here.notify_all();
            while *arrived < entries {
                arrived = in_calls.all_here.wait(arrived).unwrap();
            }
            drop(arrived);
            let mut finished = in_calls.finished.lock().unwrap();
            finished.push(address.to_string());
            if finished.len() == entries {
                failing_means(Category::LostWakeup);
            }
        },
        move || (*at_return.arrived.lock().unwrap(), at_return.finished.lock().unwrap().clone()),
    );
    let_stragglers_run(entries);
    let later = *meeting.arrived.lock().unwrap();
    failing_means(Category::LeakedThread);
    assert!(
        arrived == finished.len() && later == arrived,
        "send_all returned while {} of its calls were still running and before {} had begun: {LEFT_BEHIND}",
        arrived - finished.len(),
        later - arrived
    );
    failing_means(Category::WrongResult);
    let mut made = finished.clone();
    made.sort();
    assert!(
        made == addresses,
        "when send_all returned, the finished calls were {finished:?} for the addresses {addresses:?}: it must \
         make exactly one call per address and return only after all of them have finished"
    );
}

hidden_tests! {
    fn explored_send_all_returns_after_every_call_in_every_schedule() {
        failing_means(Category::LostWakeup);
        explore(
            "send_all",
            "explored_send_all_returns_after_every_call_in_every_schedule",
            Budget::default(),
            "send_all must return once every call has finished, and not before, whatever the order in which the \
             threads run. If it waits by hand (a count of finished calls and a Condvar) and checks the count, \
             then sleeps, a call that finishes and notifies in between wakes nobody and send_all sleeps for \
             ever (a lost wakeup): change the count and notify under the same Mutex that the waiter checks it \
             under, or simply let std::thread::scope (or a join of every handle) do the waiting. If send_all \
             returned early, it must wait for every thread it started, not only for some of them.",
            returns_after_every_call,
        );
    }

    fn explored_calls_all_run_at_the_same_time_in_every_schedule() {
        failing_means(Category::NotConcurrent);
        explore(
            "send_all",
            "explored_calls_all_run_at_the_same_time_in_every_schedule",
            Budget::default(),
            "every call must be running at the same time as the others, whatever the order in which the \
             threads run: here each call waits until all three have begun, so calls made one after another \
             wait for ever. Start a thread for every address before waiting for any of them (joining each \
             thread right after starting it, or calling send_email on your own thread, runs the calls one \
             by one), and make one call per address. If the calls all finished and send_all still waits, \
             it slept through the last call's news (a lost wakeup): change a count of finished calls and \
             notify under the Mutex the waiter checks it under, or let std::thread::scope do the waiting.",
            calls_run_at_the_same_time,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
