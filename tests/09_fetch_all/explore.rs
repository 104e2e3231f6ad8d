//! Schedule exploration for exercise 09: the learner's `fetch_all`, rebuilt
//! on shuttle's threads, scopes, locks, channels and atomics (see
//! `xtask/src/engine/explore.rs`), run under thousands of chosen
//! interleavings.
//!
//! The bound is the lesson: never more than `max_in_flight` fetches at
//! once, and the results back in the order of `urls`. A fixed crew of
//! workers sharing one `fetch_add` index keeps both by construction; what a
//! hand-built slot counter leaves to chance is the moment between seeing a
//! free slot and taking it (two lock scopes, or a load and then an add), a
//! window a few instructions wide in which a second thread sees the same
//! free slot. Real threads almost never meet there; shuttle, which may
//! switch threads at every lock, wait, atomic access and spawn, pauses a
//! thread in that window within a few schedules, and on every run.
//!
//! The tests use the public API only, so any correct style passes: a crew
//! of workers on an atomic index, a thread per url behind a Mutex+Condvar
//! semaphore, a sliding window over an `mpsc` channel. A deadlock is
//! shuttle seeing every thread blocked, a failure the test's own code never
//! gets to look at, so the category that stands while `fetch_all` runs is
//! the one a deadlock there means, and each check after it returns declares
//! its own.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p fetch_all_tests`.

use fetch_all::fetch_all;
use shuttle::sync::atomic::{AtomicUsize, Ordering};
use shuttle::sync::{Arc, Condvar, Mutex};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// `n` distinct urls, in order; [`index_of`] reads the index back.
fn urls(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("https://example.com/page/{i}")).collect()
}

/// The index of a url made by [`urls`].
fn index_of(url: &str) -> usize {
    url.strip_prefix("https://example.com/page/").and_then(|i| i.parse().ok()).expect("a url made by urls()")
}

/// What url `i`'s fetch returns: one in three fails, so that an `Err` must
/// keep its place as much as an `Ok`.
fn result_of(i: usize) -> Result<usize, String> {
    if i % 3 == 1 { Err(format!("url {i} refused")) } else { Ok(100 + i) }
}

/// How the fetches of one call went, seen from inside `fetch`.
struct Fetches {
    /// Calls per url index.
    calls: Vec<AtomicUsize>,
    /// Calls begun, and calls finished (counted as their last step).
    started: AtomicUsize,
    finished: AtomicUsize,
    /// Calls running now, and the most that ever ran at once.
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

impl Fetches {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Fetches {
            calls: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            started: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
        })
    }

    /// The start of a fetch of url `i`: counted, and in flight from here.
    fn begin(&self, i: usize) {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.calls[i].fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }

    /// The end of a fetch: no longer in flight. Returns how many have
    /// finished, this one included.
    fn end(&self) -> usize {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.finished.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }
}

/// Calls `fetch_all(urls, max_in_flight, fetch)` on a thread of its own,
/// waits for it, and passes on its panic, declared as one: no fetch in these
/// tests panics and `max_in_flight` is never 0, so `fetch_all` has no panic
/// of its own to report. (On a thread of its own, with this thread still
/// running beside it for a step, because shuttle refuses a test in which no
/// two threads could ever run at once, which is what fetches made one after
/// another on the caller's thread would be.) Returns the results and what
/// `at_return` saw, run on that thread the moment `fetch_all` returned.
fn fetch_all_on_a_thread<S: Send + 'static>(
    urls: Vec<String>,
    max_in_flight: usize,
    fetch: impl Fn(&str) -> Result<usize, String> + Send + Sync + 'static,
    at_return: impl FnOnce() -> S + Send + 'static,
) -> (Vec<Result<usize, String>>, S) {
    let caller = shuttle::thread::spawn(move || {
        let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
        match catch_unwind(AssertUnwindSafe(|| fetch_all(&refs, max_in_flight, fetch))) {
            Ok(results) => (results, at_return()),
            Err(panic) => {
                failing_means(Category::Panic);
                resume_unwind(panic)
            }
        }
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

/// Lets any thread that `fetch_all` left behind run a while, so that a fetch
/// which begins only after `fetch_all` returned shows.
fn let_stragglers_run(urls: usize) {
    for _ in 0..4 * urls {
        shuttle::thread::yield_now();
    }
}

/// The checks every test makes once `fetch_all` has returned: no fetch
/// still running or begun later, each url fetched exactly once, the
/// results in the order of `urls`. `call` describes the call.
fn check_the_call(
    fetches: &Fetches,
    started_at_return: usize,
    finished_at_return: usize,
    results: &[Result<usize, String>],
    call: &str,
) {
    let n = fetches.calls.len();
    failing_means(Category::LeakedThread);
    assert!(
        started_at_return == finished_at_return,
        "{call} returned while {} of its fetches had begun and not finished: every thread fetch_all starts \
         must have ended before it returns (join each handle, or start them inside std::thread::scope, which \
         joins them all)",
        started_at_return - finished_at_return
    );
    let_stragglers_run(n);
    let later = fetches.started();
    assert!(
        later == started_at_return,
        "{call} returned before {} of its fetches had begun (they began after it): every thread fetch_all \
         starts must have ended before it returns (join each handle, or start them inside std::thread::scope)",
        later - started_at_return
    );
    let counts: Vec<usize> = fetches.calls.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    if counts.iter().any(|&c| c != 1) {
        failing_means(Category::WrongResult);
        let wrong: Vec<String> = counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 1)
            .map(|(i, c)| format!("url {i} was fetched {c} time(s)"))
            .collect();
        panic!(
            "{call}: {}. Every url must be fetched exactly once: if workers take the next url from a shared \
             index, reading it and moving it on must be one step (fetch_add on an AtomicUsize, or both under \
             one lock), or two workers take the same url and one is skipped",
            wrong.join(", ")
        );
    }
    let expected: Vec<Result<usize, String>> = (0..n).map(result_of).collect();
    if results != expected {
        let mut got = results.to_vec();
        let mut want = expected.clone();
        let key = |r: &Result<usize, String>| format!("{r:?}");
        got.sort_by_key(key);
        want.sort_by_key(key);
        failing_means(if got == want { Category::Order } else { Category::WrongResult });
        panic!(
            "{call} returned {results:?} instead of {expected:?}: result i must be what fetch returned for \
             urls[i], whatever order the fetches finished in. Keep each result with the index of its url (a \
             slot per url, or (index, result) pairs put back in place at the end), not in the order they \
             come back"
        );
    }
}

/// Five urls, two slots, fetches that return after a few steps: never more
/// than two at once, each url once, results in order.
fn never_more_than_max_in_flight(max_in_flight: usize, n: usize) {
    let call = format!("fetch_all with {n} urls and max_in_flight {max_in_flight}");
    // Fetches that return after a few steps, so a deadlock means something
    // in fetch_all waits for what never comes.
    failing_means(Category::Deadlock);
    let fetches = Fetches::new(n);
    let (inside, at_return) = (fetches.clone(), fetches.clone());
    let (results, (started, finished, most)) = fetch_all_on_a_thread(
        urls(n),
        max_in_flight,
        move |url: &str| {
            let i = index_of(url);
            inside.begin(i);
            // A fetch takes a while: other threads may run meanwhile.
            shuttle::thread::yield_now();
            shuttle::thread::yield_now();
            inside.end();
            result_of(i)
        },
        move || (at_return.started(), at_return.finished(), at_return.most.load(Ordering::SeqCst)),
    );
    if most > max_in_flight {
        failing_means(Category::TooConcurrent);
        panic!(
            "{call} had {most} fetches running at the same time. At most max_in_flight may be in flight at \
             once, in every schedule. If threads wait for a free slot on a counter, seeing a free slot and \
             taking it must be one step: check and increment under the same lock guard (while *n >= max {{ n = \
             cv.wait(n) }} then *n += 1, without unlocking in between), or a compare_exchange on an atomic; \
             otherwise two threads see the same free slot between another's check and its increment, and both \
             take it. Simplest of all: start max_in_flight workers that each fetch one url after another."
        );
    }
    check_the_call(&fetches, started, finished, &results, &call);
}

/// How many fetches have begun, and a Condvar to wait for a partner.
#[derive(Default)]
struct Pairs {
    arrived: Mutex<usize>,
    partner: Condvar,
}

/// Four urls, two slots, each fetch waiting until a second fetch is running
/// beside it (the first two meet, then the last two): a correct fetch_all
/// keeps both slots busy while urls are left, so every pair meets, and the
/// pairs finish in whatever order shuttle picks.
fn slots_are_filled_and_results_keep_their_places() {
    const URLS: usize = 4;
    const MAX: usize = 2;
    let call = format!("fetch_all with {URLS} urls and max_in_flight {MAX}");
    // Every thread blocked while a fetch waits for its partner: the slots
    // were not both in use.
    failing_means(Category::NotConcurrent);
    let fetches = Fetches::new(URLS);
    let pairs = Arc::new(Pairs::default());
    let (inside, at_return) = (fetches.clone(), fetches.clone());
    let (results, (started, finished, most)) = fetch_all_on_a_thread(
        urls(URLS),
        MAX,
        move |url: &str| {
            let i = index_of(url);
            inside.begin(i);
            let mut arrived = pairs.arrived.lock().unwrap();
            *arrived += 1;
            // The first and second fetch to begin wait for 2 to have begun,
            // the third and fourth for 4.
            let pair_complete = arrived.div_ceil(MAX) * MAX;
            pairs.partner.notify_all();
            while *arrived < pair_complete {
                arrived = pairs.partner.wait(arrived).unwrap();
            }
            drop(arrived);
            if inside.end() == URLS {
                // Every fetch is done: from here on a deadlock is fetch_all
                // waiting for what never comes (a queue nobody closes, a
                // result nobody sends).
                failing_means(Category::Deadlock);
            }
            result_of(i)
        },
        move || (at_return.started(), at_return.finished(), at_return.most.load(Ordering::SeqCst)),
    );
    if most > MAX {
        failing_means(Category::TooConcurrent);
        panic!(
            "{call} had {most} fetches running at the same time: at most max_in_flight may be in flight at \
             once, in every schedule"
        );
    }
    check_the_call(&fetches, started, finished, &results, &call);
}

hidden_tests! {
    fn explored_never_more_than_max_in_flight_fetches_in_every_schedule() {
        failing_means(Category::TooConcurrent);
        explore(
            "fetch_all",
            "explored_never_more_than_max_in_flight_fetches_in_every_schedule",
            Budget::default(),
            "fetch_all must never have more than max_in_flight fetches running at once, must fetch every url \
             exactly once, and must return the results in the order of urls, whatever the order in which the \
             threads run. A thread may be paused between any two steps: between seeing a free slot and taking \
             it, between reading a shared index and moving it on. If every thread was blocked, fetch_all waited \
             for something that never came: a slot nobody frees (free it, and notify, after every fetch), a \
             channel nobody closes (drop every Sender before waiting for the receivers to end), a result \
             nobody sends.",
            || never_more_than_max_in_flight(2, 5),
        );
    }

    fn explored_slots_stay_busy_and_results_keep_url_order_in_every_schedule() {
        failing_means(Category::NotConcurrent);
        explore(
            "fetch_all",
            "explored_slots_stay_busy_and_results_keep_url_order_in_every_schedule",
            Budget::default(),
            "with 4 urls and max_in_flight 2, each fetch here waits until a second fetch is running beside it, \
             and the fetches finish in whatever order the threads happen to run; whatever that order, fetch_all \
             must keep both slots busy while urls are left and return the results in the order of urls. If \
             every thread was blocked while fetches waited for a partner, fetch_all ran fewer than \
             max_in_flight fetches at once (one at a time, one worker too few, or waiting for one fetch before \
             starting the next). If the results came back out of place, keep each with the index of its url.",
            slots_are_filled_and_results_keep_their_places,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
