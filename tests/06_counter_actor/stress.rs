//! Many threads, each with its own clone of the handle, released together by
//! a Barrier onto a new counter, round after round, with exact counts.
//!
//! The mistakes these tests look for do not need a lucky interruption a few
//! instructions wide: an owner that answers a request before the increments
//! queued ahead of it, a reply that goes to the wrong asker, or an owner that
//! stops with increments still in its queue, is wrong whenever the owner is
//! a little behind its senders, and several busy senders keep it behind
//! almost all the time. Measured on a loaded 2-core machine: the mutants in
//! `mutants/` were caught in round 1 or 2 of every run. So the rounds are
//! few and short, and they stop after `support::EFFORT` on a slow machine,
//! where a value() round trip can take milliseconds.

use crate::support::{EFFORT, Ended, WRONG_FINAL_COUNT, count_and_check, owner_returns, run_for};
use counter_actor::{CounterHandle, spawn_counter};
use testkit::prelude::*;

const THREADS: usize = 4;
/// A stress test's own deadline: far above what a correct counter needs
/// (the rounds stop after `support::EFFORT` in any case), and short enough
/// that a stuck one fails with an explanation.
const STRESS_DEADLINE: Duration = Duration::from_secs(9);

const CHECKED_ROUNDS: usize = 12;
const CHECKED_INCREMENTS: usize = 1500;

const QUEUED_ROUNDS: usize = 12;
const QUEUED_INCREMENTS: usize = 10_000;

/// One round: a new counter, `THREADS` threads each given a clone of its
/// handle and released together by a Barrier, each running `work` and then
/// dropping its clone. The original handle is dropped before they start, so
/// the last clone to go is the last handle. Returns what each thread
/// returned, in thread order, and the owner's JoinHandle.
fn round<R: Send>(
    work: &(impl Fn(usize, &CounterHandle) -> R + Sync),
) -> (Vec<thread::Result<R>>, thread::JoinHandle<usize>) {
    let (handle, owner) = spawn_counter();
    let start = Barrier::new(THREADS);
    let clones: Vec<CounterHandle> = (0..THREADS).map(|_| handle.clone()).collect();
    drop(handle);
    let results = thread::scope(|s| {
        let workers: Vec<_> = clones
            .into_iter()
            .enumerate()
            .map(|(index, mine)| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    work(index, &mine)
                    // `mine` is dropped here, as the thread ends.
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join()).collect()
    });
    (results, owner)
}

/// Runs a stress test's body with its deadline, and explains a hang.
fn stress(what: &str, body: impl FnOnce() + Send + 'static) {
    match run_for(STRESS_DEADLINE, body) {
        Ended::Returned(()) => {}
        Ended::Panicked(message) => panic!("{message}"),
        Ended::Stuck => panic!(
            "{what} did not finish within {} s, although a correct counter needs well under one. A thread \
             was left waiting inside increment() or value() (a value request that is never answered), or \
             the owner thread never ended after the last handle was dropped.",
            STRESS_DEADLINE.as_secs()
        ),
    }
}

/// The panic message of a worker thread.
fn worker_panic(p: &(dyn std::any::Any + Send)) -> String {
    format!(
        "a thread making increments through its own clone of the handle panicked: \"{}\". A handle must work \
         for as long as it exists, on any thread, however many clones are in use at once.",
        crate::support::payload_message(p)
    )
}

hidden_tests! {
    fn concurrent_increments_and_values_add_up_exactly() {
        failing_means(Category::Order);
        stress("the rounds of concurrent increment() and value() calls", || {
            let deadline = Instant::now() + EFFORT;
            let go_on = || Instant::now() < deadline;
            for number in 1..=CHECKED_ROUNDS {
                failing_means(Category::Order);
                // Thread i checks value() after every i + 1 increments, so
                // requests and increments of different threads interleave in
                // every possible way.
                let (results, owner) = round(&|index, mine: &CounterHandle| {
                    count_and_check(mine, CHECKED_INCREMENTS, index + 1, THREADS * CHECKED_INCREMENTS, go_on)
                });
                let mut made = 0;
                for result in results {
                    match result {
                        Ok(Ok(n)) => made += n,
                        Ok(Err(why)) => panic!(
                            "in round {number}, {THREADS} threads each made increments through its own clone, \
                             calling value() every few: {why}. {}",
                            crate::support::WHY_VALUE_MISSED
                        ),
                        Err(p) => {
                            failing_means(Category::WrongResult);
                            panic!("in round {number}, {}", worker_panic(p.as_ref()))
                        }
                    }
                }
                failing_means(Category::WrongResult);
                owner_returns(
                    owner,
                    made,
                    &format!(
                        "in round {number}, {THREADS} threads made {made} increments in all through their own clones \
                         (and called value() between them)"
                    ),
                    WRONG_FINAL_COUNT,
                );
                if !go_on() {
                    break;
                }
            }
        });
    }

    fn increments_still_queued_when_the_last_handle_goes_are_counted() {
        failing_means(Category::Order);
        // The threads make increments as fast as they can and never wait for
        // an answer, so the owner is usually thousands of messages behind
        // when the last clone is dropped. It must count those too before it
        // returns.
        stress("the rounds of concurrent increment() calls", || {
            let deadline = Instant::now() + EFFORT;
            for number in 1..=QUEUED_ROUNDS {
                let (results, owner) = round(&|_, mine: &CounterHandle| {
                    let mut made = 0;
                    while made < QUEUED_INCREMENTS && (made % 256 != 0 || Instant::now() < deadline) {
                        mine.increment();
                        made += 1;
                    }
                    made
                });
                let mut made = 0;
                for result in results {
                    match result {
                        Ok(n) => made += n,
                        Err(p) => {
                            failing_means(Category::WrongResult);
                            panic!("in round {number}, {}", worker_panic(p.as_ref()))
                        }
                    }
                }
                owner_returns(
                    owner,
                    made,
                    &format!(
                        "in round {number}, {THREADS} threads made {made} increments in all through their own clones, \
                         without waiting for the owner, and dropped them"
                    ),
                    "The owner must not stop while increments are still queued: `recv` keeps handing out queued \
                     messages after the last Sender is gone, and fails only once the queue is empty, so a loop \
                     that ends when `recv` fails has counted everything. An owner that also watches something \
                     else to learn that the handles are gone (a second channel, a flag, a count of handles) \
                     can see that first and return early.",
                );
                if Instant::now() >= deadline {
                    break;
                }
            }
        });
    }
}
