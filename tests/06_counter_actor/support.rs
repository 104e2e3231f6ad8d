//! Helpers shared by the test groups of exercise 06: running a call of the
//! learner's with a deadline, and joining the owner thread with explanations.

use counter_actor::CounterHandle;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::JoinHandle;
use testkit::prelude::*;

/// How long a stress test or a concurrent property keeps going before it
/// settles for the rounds it has done. The reference solution finishes its
/// whole budget in well under a second; the cap is for correct answers that
/// are much slower per call (say, one where every increment waits for the
/// owner's acknowledgement) on a busy machine: they run fewer rounds
/// instead of timing out. Every check is an exact count of the calls that
/// were actually made, so the cap never turns a pass into a failure.
pub const EFFORT: Duration = Duration::from_secs(3);

/// How a call of the learner's ended.
pub enum Ended<T> {
    /// It returned this.
    Returned(T),
    /// It panicked with this message.
    Panicked(String),
    /// It was still running at the deadline (it is left behind, blocked).
    Stuck,
}

/// Runs `f` on a thread of its own and gives it `limit` to finish.
pub fn run_for<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Ended<T> {
    match within(limit, move || catch_unwind(AssertUnwindSafe(f))) {
        Some(Ok(value)) => Ended::Returned(value),
        Some(Err(payload)) => Ended::Panicked(payload_message(payload.as_ref())),
        None => Ended::Stuck,
    }
}

/// The message of a panic payload.
pub fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic whose payload is not a string)".to_string()
    }
}

/// Runs calls on handles (`what` says which, for the message) with a
/// deadline, and explains a hang or a panic.
pub fn calls<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    calls_within(GENEROUS, what, f)
}

/// [`calls`] with a deadline of `limit`, for a test that makes many calls.
pub fn calls_within<T: Send + 'static>(limit: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    match run_for(limit, f) {
        Ended::Returned(value) => value,
        Ended::Panicked(message) => panic!(
            "{what} panicked: \"{message}\". A handle must work for as long as it exists: the owner thread has \
             to keep taking messages until every handle (every clone) has been dropped, not stop when one \
             of them goes or when the queue is momentarily empty."
        ),
        Ended::Stuck => panic!(
            "{what} did not return within {} s. increment() only has to put a message in the owner's queue, \
             and value() waits only for the owner's answer to its own request: check that the owner thread \
             is running and answers every value request on the reply channel that came with it.",
            limit.as_secs()
        ),
    }
}

/// Why an owner thread does not end although every handle is gone.
pub const WHY_THE_OWNER_DID_NOT_END: &str = "The owner's loop ends when `recv` reports that the channel is \
    disconnected, and that happens only once every Sender of it has been dropped. So nothing but the handles \
    may hold a Sender: not the owner itself (a clone kept \"just in case\", or a handle it keeps for itself), \
    not a static or a global, not one that was leaked or passed to mem::forget.";

/// Joins the owner thread, with a deadline, after every handle has been
/// dropped, and checks the count it returned. `made` says what the handles
/// did, for the message; `hint` what most likely went wrong if the count
/// is not `want`.
pub fn owner_returns(owner: JoinHandle<usize>, want: usize, made: &str, hint: &str) {
    match run_for(GENEROUS, move || owner.join()) {
        Ended::Returned(Ok(got)) => assert_eq!(
            got, want,
            "{made}, and then every handle was dropped, so the owner thread must end and return {want}; \
             joining it gave {got}. {hint}"
        ),
        Ended::Returned(Err(payload)) => {
            failing_means(Category::Panic);
            panic!(
                "{made}, and then every handle was dropped; the owner thread panicked instead of returning the \
                 count: \"{}\"",
                payload_message(payload.as_ref())
            )
        }
        Ended::Panicked(message) => panic!("joining the owner thread panicked: {message}"),
        Ended::Stuck => {
            failing_means(Category::LeakedThread);
            panic!(
                "{made}, and then every handle was dropped, but {} s later the owner thread had still not ended \
                 (its JoinHandle did not return). {WHY_THE_OWNER_DID_NOT_END}",
                GENEROUS.as_secs()
            )
        }
    }
}

/// What most likely went wrong when the owner returned a count other than
/// the number of increments.
pub const WRONG_FINAL_COUNT: &str = "Fewer means the owner stopped before it had counted every increment \
    (it must keep taking messages until `recv` fails, which happens only once every handle is gone and the \
    queue is empty: `for message in receiver` does exactly that), that it was told to stop when one handle \
    was dropped while others were still alive, or that a clone of the handle talks to a counter of its own \
    instead of the same owner. The owner returns the count it kept, from the thread itself.";

/// The explanation for a value() that missed increments its own handle made.
pub const WHY_VALUE_MISSED: &str = "value() must count every increment its handle made before it: send the \
    value request through the same channel as the increments, so the owner reads it only after them (one \
    thread's messages on one channel arrive in the order they were sent), and let the owner answer with the \
    count it has then. Two channels (one for increments, one for requests) are two queues, and an owner that \
    selects between them can take the request first; a number the owner copies somewhere after it counts is \
    read before the owner has got to the last increments; a reply channel shared by several handles can \
    hand one asker the answer meant for another.";

/// Up to `n` increments through `handle`, fewer once `go_on` says to stop;
/// checks `value()` every `every` increments (and after the last): it must
/// be at least what this handle made, at most `ceiling`, and never go down.
/// Returns the increments made, or what went wrong.
pub fn count_and_check(
    handle: &CounterHandle,
    n: usize,
    every: usize,
    ceiling: usize,
    go_on: impl Fn() -> bool,
) -> Result<usize, String> {
    let mut made = 0;
    let mut last_seen = 0;
    while made < n && go_on() {
        handle.increment();
        made += 1;
        if made % every == 0 || made == n {
            let v = handle.value();
            if v < made {
                return Err(format!(
                    "a thread made {made} increments through its handle and then called value() on it, \
                     which returned {v}: {} of its own increments were missing",
                    made - v
                ));
            }
            if v < last_seen {
                return Err(format!(
                    "value() returned {last_seen} and then {v} on the same handle: the count went down"
                ));
            }
            if v > ceiling {
                failing_means(Category::WrongResult);
                return Err(format!("value() returned {v}, but no more than {ceiling} increments were ever made"));
            }
            last_seen = v;
        }
    }
    Ok(made)
}

/// The kernel ids of this process's threads now.
pub fn task_ids() -> std::collections::BTreeSet<i32> {
    std::fs::read_dir("/proc/self/task")
        .expect("cannot list threads: /proc/self/task is unreadable; the hidden tests need Linux")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Starts a counter, and says which threads `spawn_counter()` started (the
/// owner, in most answers), so that a test can tell when the owner is
/// blocked waiting for a message.
pub fn spawn_watched() -> (CounterHandle, JoinHandle<usize>, Vec<i32>) {
    let before = task_ids();
    // `calls` runs spawn_counter() on a helper thread and joins that thread
    // before it returns, so the helper is gone from the census again.
    let (handle, owner) = calls("spawn_counter()", counter_actor::spawn_counter);
    let started = task_ids().difference(&before).copied().collect();
    (handle, owner, started)
}

/// Waits until each of `tids` that is still alive has been seen asleep on 3
/// polls in a row, or `limit` passes; says whether they all were.
pub fn all_asleep(tids: &[i32], limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    tids.iter().all(|&tid| {
        let left = deadline.saturating_duration_since(Instant::now());
        threads::settles_asleep(tid, 3, left, || thread_state(tid).is_none()) || thread_state(tid).is_none()
    })
}
