//! Schedule exploration for exercise 06: the learner's counter, rebuilt on
//! shuttle's threads, locks and atomics and on a model of crossbeam-channel
//! that runs on shuttle's scheduler (see `xtask/src/engine/explore.rs`), run
//! under thousands of chosen interleavings.
//!
//! The lesson rests on two facts of one queue: one thread's messages come
//! out in the order they went in, so a value request is answered after the
//! increments its handle sent before it; and `recv` fails only once every
//! Sender is gone and the queue is empty, so the owner ends exactly when the
//! last handle does, having counted everything. The mistakes that break
//! them without a busy queue live in a window of a few instructions: a
//! value() that reads a count the owner publishes, and asks the owner only
//! when the queue looks empty, misses the increment the owner has just
//! taken out of the queue and not yet counted; an owner that learns of the
//! last handle's end from a signal of its own can read it while that
//! handle's increments are still queued. Real threads almost never stop
//! there; shuttle may switch threads at every channel operation, lock,
//! atomic access and spawn, so it does within a few schedules, on every
//! run. Each execution is two or three threads
//! making a handful of calls, so that the whole budget stays cheap.
//!
//! Only the public API is used: any correct counter passes, whatever its
//! channels (crossbeam's or `std::sync::mpsc`) and the shape of its
//! messages. A deadlock is shuttle seeing every thread blocked, a failure
//! the test's code never gets to look at, so each test changes its declared
//! category as it goes: while the handles are in use a thread stuck is a
//! request nobody answers, and once the last handle is gone it is an owner
//! that never ends.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p counter_actor_tests`.

use counter_actor::{CounterHandle, spawn_counter};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// Fails the running schedule as `category`. Declared only here, at the
/// moment a check fails, because until then the test's category has to be
/// the one shuttle's own failure (every thread blocked) falls under.
fn fail(category: Category, message: String) -> ! {
    failing_means(category);
    panic!("{message}");
}

/// Runs calls on a handle, and declares a panic out of them as a handle
/// that stopped working while it still existed (the owner ended early).
fn calls<T>(f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(panic) => {
            failing_means(Category::WrongResult);
            resume_unwind(panic)
        }
    }
}

/// `increments` increments through `handle`, each followed by value(),
/// which must count at least the increments this handle has made, at most
/// `ceiling`, and never go down.
fn count_and_ask(who: &str, handle: &CounterHandle, increments: usize, ceiling: usize) {
    let mut last = 0;
    for made in 1..=increments {
        let v = calls(|| {
            handle.increment();
            handle.value()
        });
        if v < made {
            fail(
                Category::Order,
                format!(
                    "{who} made {made} increment{}, calling value() after each, and this time value() \
                     returned {v}: {} of its own increments {} missing",
                    if made == 1 { "" } else { "s" },
                    made - v,
                    if made - v == 1 { "was" } else { "were" }
                ),
            );
        }
        if v < last {
            fail(Category::Order, format!("value() on {who} returned {last} and then {v}: the count went down"));
        }
        if v > ceiling {
            fail(
                Category::WrongResult,
                format!("value() on {who} returned {v}, but only {ceiling} increments were ever made"),
            );
        }
        last = v;
    }
}

/// Joins the owner (`join` calls `join()` on the handle `spawn_counter`
/// gave: shuttle's in the tier, std's as editors see this file) once every
/// handle is gone; it must return `want`. A count short of it fails as
/// `short`: what most likely lost the rest in the calling test (`why`, for
/// the message).
fn owner_returns(
    join: impl FnOnce() -> std::thread::Result<usize>,
    want: usize,
    made: &str,
    short: Category,
    why: &str,
) {
    // Every thread blocked from here on: the owner waits for a message
    // that can never come.
    failing_means(Category::LeakedThread);
    let got = join().unwrap_or_else(|_| {
        fail(
            Category::Panic,
            format!("{made}, and every handle was dropped; the owner thread panicked instead of returning the count"),
        )
    });
    if got < want {
        fail(
            short,
            format!(
                "{made}, and every handle was dropped; the owner thread returned {got}, {} short: {why}",
                want - got
            ),
        );
    }
    if got != want {
        fail(
            Category::WrongResult,
            format!("{made}, and every handle was dropped; the owner thread returned {got}, not {want}"),
        );
    }
}

/// The original handle makes one increment and asks, while a clone on
/// another thread makes two, asking after each; the original is dropped
/// while the clone may still be in use.
fn own_increments_are_counted() {
    // Every thread blocked while the handles are in use: a value() that
    // was never answered.
    failing_means(Category::WrongResult);
    let (handle, owner) = spawn_counter();
    let clone = handle.clone();
    let other = shuttle::thread::spawn(move || count_and_ask("a clone on another thread", &clone, 2, 3));
    count_and_ask("the original handle", &handle, 1, 3);
    drop(handle);
    if let Err(panic) = other.join() {
        resume_unwind(panic);
    }
    owner_returns(
        move || owner.join(),
        3,
        "the original handle made 1 increment and a clone on another thread 2",
        Category::WrongResult,
        "every clone must feed the same owner and its one count",
    );
}

/// Two clones on two threads make two increments each, without asking, and
/// are dropped as their threads end; the original is dropped at once, so
/// the last handle goes on one of the threads, maybe both at the same time.
fn owner_ends_with_the_final_count() {
    failing_means(Category::WrongResult);
    let (handle, owner) = spawn_counter();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let mine = handle.clone();
            shuttle::thread::spawn(move || {
                calls(|| {
                    mine.increment();
                    mine.increment();
                    drop(mine);
                })
            })
        })
        .collect();
    drop(handle);
    for thread in threads {
        if let Err(panic) = thread.join() {
            resume_unwind(panic);
        }
    }
    owner_returns(
        move || owner.join(),
        4,
        "two threads made 2 increments each through their own clones",
        Category::Order,
        "the owner stopped before it had counted every increment queued",
    );
}

hidden_tests! {
    fn explored_value_counts_the_handles_own_increments_in_every_schedule() {
        failing_means(Category::Order);
        explore(
            "counter_actor",
            "explored_value_counts_the_handles_own_increments_in_every_schedule",
            Budget::default(),
            "value() must count every increment its own handle made before it, whatever the order in which \
             the threads run; here the original handle makes 1 increment and a clone on another thread 2, each \
             calling value() after every increment. Send the value request through the same channel as the \
             increments and let the owner answer with the count it has when it reads the request: one \
             thread's messages on one channel come out in the order they went in. Any other way to answer \
             can be overtaken. A count the owner copies somewhere (an atomic, a Mutex) after counting can be \
             read before the owner got to the last increment, even when the queue looks empty: the owner may \
             have taken that increment out of the queue and not yet counted it. Two channels (increments, \
             requests) are two queues, and an owner that selects between them can take the request first. \
             If increment() or value() panicked, the owner thread stopped while a clone was still alive: it \
             must keep taking messages until every handle is gone. If every thread was blocked while the \
             handles were in use, a value() waited for an answer that never came to it. If the owner \
             returned less than 3, a clone's increments went to a counter of its own: clone the Sender, do not \
             start a counter in clone().",
            own_increments_are_counted,
        );
    }

    fn explored_owner_ends_with_every_increment_when_the_last_handle_goes_in_every_schedule() {
        failing_means(Category::LeakedThread);
        explore(
            "counter_actor",
            "explored_owner_ends_with_every_increment_when_the_last_handle_goes_in_every_schedule",
            Budget::default(),
            "once every handle is gone the owner thread must end and return the exact count, whatever the \
             order in which the threads run; here two clones on two threads make 2 increments each and are \
             dropped as their threads end, maybe at the same moment. Let the channel decide: the owner's \
             `for message in receiver` loop ends when the last Sender is dropped and the queue is empty, \
             after it has counted everything. If every thread was blocked with the owner still waiting, \
             something besides the handles keeps a Sender (the owner itself, a static, a leaked clone), or \
             the owner waits for a \"stop\" message instead of the end of the channel, or (in a queue of \
             your own, a Mutex and a Condvar) the last handle's drop notified the owner between its check of \
             the handles and its wait: change what the owner checks under the lock it waits with, then \
             notify. If increment() panicked or the count was short, the owner stopped early: when one \
             handle was dropped, or on a signal (a second channel, a flag, a count of handles) that overtook \
             increments still queued.",
            owner_ends_with_the_final_count,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
