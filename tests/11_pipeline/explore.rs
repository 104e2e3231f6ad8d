//! Schedule exploration for exercise 11: the learner's `pipeline`, rebuilt
//! on shuttle's threads, locks and atomics and on the crossbeam-channel
//! model that runs on shuttle's scheduler (see
//! `xtask/src/engine/explore.rs`), run under thousands of chosen
//! interleavings.
//!
//! A pipeline's promises are about every schedule: results in input order
//! however the workers finish, never more than a few items pulled ahead of
//! the consumer, and every thread gone once the consumer drops its
//! receiver. Channels keep most of that right by construction; what they
//! leave to chance is whatever a learner builds beside them: a turn or a
//! reorder buffer kept under a lock, a flag looked at a moment after the
//! queue looked empty, a count of items in flight. Those mistakes live in
//! windows a few instructions wide, often opened once per pipeline (at the
//! end of the input, at the consumer's drop), which real threads almost
//! never hit and a scheduler that may switch threads at every channel
//! operation, lock and atomic access finds within a few schedules, on every
//! run.
//!
//! A deadlock here is shuttle seeing every thread blocked, a failure the
//! test's code never gets to look at, so each test moves its declared
//! category along as the pipeline goes: stuck before every result came,
//! stuck after (nothing disconnected), threads left blocked after the drop.
//!
//! The tests use the public API only (`pipeline` and the receiver it
//! returns), so any correct design passes: tickets, a reorder buffer, lanes
//! read round-robin. Pipelines are small (a few items, one to two workers,
//! capacity 1) so that the whole budget stays cheap.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p pipeline_tests`.

use crossbeam_channel::Receiver;
use pipeline::pipeline;
use shuttle::sync::Arc;
use shuttle::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// The most items a pipeline may have pulled from its input beyond what the
/// consumer has read: the bound of the real-thread test
/// `a_consumer_that_reads_nothing_holds_the_producer_back` (see
/// `concurrency.rs`), generous so that every sensible design fits.
fn backpressure_bound(workers: usize, capacity: usize) -> usize {
    (2 * workers + 2) * capacity + 2 * workers + 4
}

const BOUND_FORMULA: &str = "(2 * workers + 2) * capacity + 2 * workers + 4";

/// Fails the running schedule as `category`. Declared only here, at the
/// moment a check fails, because until then the test's category has to be
/// the one shuttle's own failure (every thread blocked) falls under.
fn fail(category: Category, message: String) -> ! {
    failing_means(category);
    panic!("{message}");
}

/// Reads results until the receiver disconnects and checks them against
/// `want`, in order. While results are still owed, a deadlock means the
/// pipeline got stuck; once all have come, it means the receiver never
/// disconnected. `setting` says which pipeline, for the messages.
fn read_in_order<B>(rx: &Receiver<B>, want: &[B], setting: &str)
where
    B: PartialEq + std::fmt::Debug,
{
    let mut got = Vec::new();
    loop {
        failing_means(if got.len() < want.len() { Category::Deadlock } else { Category::LeakedThread });
        match rx.recv() {
            Ok(b) => {
                let i = got.len();
                if i >= want.len() {
                    fail(
                        Category::WrongResult,
                        format!(
                            "{setting}: after the {} results the input asks for, the receiver gave {b:?} too",
                            want.len()
                        ),
                    );
                }
                if b != want[i] {
                    let category = if want.contains(&b) { Category::Order } else { Category::WrongResult };
                    fail(
                        category,
                        format!(
                            "{setting}: result #{i} was {b:?} where input order asks for {:?} (results so far: \
                             {got:?})",
                            want[i]
                        ),
                    );
                }
                got.push(b);
            }
            Err(_) if got.len() < want.len() => fail(
                Category::CheckThenAct,
                format!(
                    "{setting}: the receiver disconnected after {} of {} results ({got:?}): the items after \
                     those were pulled from the input but never came out",
                    got.len(),
                    want.len()
                ),
            ),
            Err(_) => return,
        }
    }
}

/// Two workers, three items: each result in input order, whoever finishes
/// first, and then the end of the stream.
fn results_in_input_order() {
    let setting = "pipeline(0..3, |x| x * 10, workers = 2, capacity = 1)";
    let rx = pipeline(0..3u32, |x: u32| x * 10, 2, 1);
    read_in_order(&rx, &[0, 10, 20], setting);
}

/// An input that counts what the producer pulls, read by a consumer that
/// counts what it took: at every pull, the producer may be at most the
/// bound ahead. One worker, so that even a design that reorders through a
/// buffer keeps nothing in it (with several, a worker held up while the
/// others go on may legitimately let that buffer grow).
fn producer_held_back() {
    const ITEMS: usize = 16;
    let (workers, capacity) = (1, 1);
    let bound = backpressure_bound(workers, capacity);
    let taken = Arc::new(AtomicUsize::new(0));
    let seen = taken.clone();
    let pulled = Arc::new(AtomicUsize::new(0));
    let input = (0..ITEMS as u64).inspect(move |_| {
        let pulled = pulled.fetch_add(1, Ordering::SeqCst) + 1;
        // The consumer counts a result a step after recv returned it.
        let taken = seen.load(Ordering::SeqCst) + 1;
        if pulled > taken + bound {
            fail(
                Category::TooConcurrent,
                format!(
                    "the consumer had taken {} results and the producer pulled item #{pulled} of {ITEMS} (workers \
                     = {workers}, capacity = {capacity}); this test allows {bound} items beyond what was read \
                     ({BOUND_FORMULA})",
                    taken - 1
                ),
            );
        }
    });
    let rx = pipeline(input, |x: u64| x + 1, workers, capacity);
    let want: Vec<u64> = (1..=ITEMS as u64).collect();
    let mut got = Vec::new();
    loop {
        failing_means(if got.len() < ITEMS { Category::Deadlock } else { Category::LeakedThread });
        // A consumer that stops for a moment now and then.
        if got.len() % 4 == 0 {
            for _ in 0..3 {
                shuttle::thread::yield_now();
            }
        }
        match rx.recv() {
            Ok(b) => {
                got.push(b);
                taken.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => break,
        }
    }
    if got != want {
        let category = if want.starts_with(&got) { Category::CheckThenAct } else { Category::Order };
        fail(
            category,
            format!(
                "pipeline(0..{ITEMS}, |x| x + 1, workers = 1, capacity = 1), read slowly, gave {got:?} before \
                 the receiver disconnected; it must give every result, in input order"
            ),
        );
    }
}

/// Starts a pipeline on an input of 0, 1, 2, ... (long enough to count as
/// endless here) with `workers` workers, reads one result and drops the
/// receiver. With `count_pulls`, the input fails the schedule once the
/// producer has pulled more than the bound after the drop.
fn start_read_one_and_drop(workers: usize, count_pulls: bool) {
    const LONG: u64 = 64;
    let capacity = 1;
    let bound = backpressure_bound(workers, capacity);
    let dropped = Arc::new(AtomicBool::new(false));
    let after_drop = Arc::new(AtomicUsize::new(0));
    let (d, a) = (dropped.clone(), after_drop.clone());
    let input = (0..LONG).inspect(move |_| {
        if count_pulls && d.load(Ordering::SeqCst) && a.fetch_add(1, Ordering::SeqCst) + 1 > bound {
            fail(
                Category::IgnoredCancellation,
                format!(
                    "the consumer dropped the receiver, and the producer went on to pull more than {bound} items \
                     after that ({BOUND_FORMULA}, with workers = {workers}, capacity = {capacity}); it must stop \
                     once its send fails"
                ),
            );
        }
    });
    let rx = pipeline(input, |x: u64| x * 2, workers, capacity);
    failing_means(Category::Deadlock);
    match rx.recv() {
        Ok(0) => {}
        Ok(other) if other % 2 == 0 && other < 2 * LONG => fail(
            Category::Order,
            format!(
                "the first result of 0, 1, 2, ... with f = |x| x * 2 (workers = {workers}) was {other}, not 0: \
                 results must come out in input order"
            ),
        ),
        other => fail(
            Category::WrongResult,
            format!(
                "the first result of 0, 1, 2, ... with f = |x| x * 2 (workers = {workers}) was {other:?}, not Ok(0)"
            ),
        ),
    }
    // From here, a thread left blocked when the test ends is one the drop
    // did not reach: shuttle reports every thread blocked.
    failing_means(Category::IgnoredCancellation);
    dropped.store(true, Ordering::SeqCst);
    drop(rx);
}

/// Two pipelines whose consumers read one result and drop the receiver:
/// every thread of both must then end. With one worker, the producer must
/// also stop pulling within the bound. (With two, a design that reorders
/// through a buffer learns of the drop only when it next sends, and while
/// the scheduler holds back the worker whose result is next, it may go on
/// buffering; the input is finite so that it ends all the same.)
fn drop_ends_every_thread() {
    start_read_one_and_drop(2, false);
    start_read_one_and_drop(1, true);
}

hidden_tests! {
    fn explored_results_come_out_in_input_order_in_every_schedule() {
        failing_means(Category::Order);
        explore(
            "pipeline",
            "explored_results_come_out_in_input_order_in_every_schedule",
            Budget::default(),
            "with two workers, the receiver must give f(item) for every item, in input order, and then \
             disconnect, whatever the order in which the threads run. Results put back in order by hand can go \
             wrong between two steps: a worker that takes its turn under a lock and sends after letting go of \
             it can be overtaken by the next one; a worker that asks \"is it my turn?\" under a lock and files \
             its result as early under the lock taken again can file it after its turn has passed. Decide and \
             act under one lock, or let a single collector thread do the reordering (a BTreeMap keyed by \
             index, or per-item result channels redeemed in input order). If the stream ended early, a worker \
             left while items were still coming: block in recv (or iterate the receiver) until the channel \
             disconnects, rather than leaving when the queue looks empty or a flag says the input ended.",
            results_in_input_order,
        );
    }

    fn explored_the_producer_stays_a_few_items_ahead_in_every_schedule() {
        failing_means(Category::TooConcurrent);
        explore(
            "pipeline",
            "explored_the_producer_stays_a_few_items_ahead_in_every_schedule",
            Budget::default(),
            "with a consumer that reads slowly, the producer may never pull more than a few items beyond what \
             the consumer has taken, whatever the order in which the threads run, and every item's result must \
             come out, in order. Every channel must be bounded (crossbeam_channel::bounded(capacity), never \
             unbounded), the input pulled one item at a time, and nothing collected into a Vec on the way: a \
             full channel is what holds the producer back. If the stream ended early, a worker left while items \
             were still coming: block in recv (or iterate the receiver) until the channel disconnects, rather \
             than leaving when the queue looks empty or a flag says the input ended; a look at the queue and a \
             look at a flag are two moments, and the last items can arrive between them.",
            producer_held_back,
        );
    }

    fn explored_dropping_the_receiver_ends_every_thread_in_every_schedule() {
        failing_means(Category::IgnoredCancellation);
        explore(
            "pipeline",
            "explored_dropping_the_receiver_ends_every_thread_in_every_schedule",
            Budget::default(),
            "once the consumer drops the receiver, every thread the pipeline started must end, whatever the \
             order in which the threads run: the stage that sends to the consumer sees its send fail and \
             returns, which drops its receiver, so the stage before it sees its send fail, and so on back to \
             the producer, which stops pulling. A thread still blocked when everything else has ended waits on \
             a channel some other thread keeps open, or for a signal (a flag and a Condvar, a turn) that was \
             given between its look and its wait: check every send and return when it fails, and let the \
             channels' disconnection carry the stop instead of a flag.",
            drop_ends_every_thread,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
