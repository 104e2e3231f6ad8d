//! Schedule exploration for exercise 03: the learner's `spawn_senders`,
//! rebuilt on shuttle's threads, locks, channels and atomics (see
//! `xtask/src/engine/explore.rs`), run under thousands of chosen
//! interleavings.
//!
//! The mistake this exercise is about is a thread that looks its email up
//! when it runs instead of owning it from the start: through a shared index,
//! a shared slot the loop overwrites, a queue. Real threads usually start in
//! the order they were spawned and read in time, so such a thread mostly
//! gets the right email; the real-thread tests force start orders with a
//! gate, but a thread that reads a moment *after* it starts, behind a
//! handshake, slips past the gate. Shuttle may switch threads at every
//! spawn, lock, channel operation and atomic access, so it pauses a thread
//! at exactly that moment within a few schedules, and does so on every run.
//!
//! Only the public API is used: any correct way of giving each thread its
//! own email passes.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p spawn_senders_tests`.

use shuttle::sync::{Arc, Condvar, Mutex};
use spawn_senders::{User, spawn_senders};
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// Users `user0`, `user1`, ... with distinct emails.
fn users(n: usize) -> Vec<User> {
    (0..n).map(|i| User { name: format!("user{i}"), email: format!("user{i}@example.com") }).collect()
}

/// Every email `send` was called with, in the order of the calls.
type SendLog = Arc<Mutex<Vec<String>>>;

/// Calls `spawn_senders` for `n` users with `send`, drops the users right
/// after the call, joins every handle, and checks that handle `i` gave back
/// user `i`'s email and that every email was sent exactly once.
/// `send` must record its email in `log` and return it.
fn each_handle_gives_its_own_users_email<F>(n: usize, log: SendLog, send: F, situation: &str)
where
    F: Fn(String) -> String + Send + Sync + 'static,
{
    let people = users(n);
    let emails: Vec<String> = people.iter().map(|u| u.email.clone()).collect();
    // A join that never comes back (every thread blocked) means the threads
    // did not all run at once.
    failing_means(Category::NotConcurrent);
    let handles = spawn_senders(&people, send);
    // The caller may drop its users at once: no thread may still need them.
    drop(people);
    if handles.len() != n {
        failing_means(Category::WrongResult);
    }
    assert_eq!(
        handles.len(),
        n,
        "spawn_senders was given {n} users and returned {} handles ({situation}). It must return exactly one \
         handle per user, in user order",
        handles.len()
    );
    for (i, handle) in handles.into_iter().enumerate() {
        let got = handle.join().unwrap_or_else(|_| {
            failing_means(Category::Panic);
            panic!(
                "the thread of handle {i} (user{i}) panicked ({situation}). Each thread must call `send` with its \
                 own user's email and return what `send` returned"
            )
        });
        if got != emails[i] {
            failing_means(Category::Order);
        }
        assert_eq!(
            got, emails[i],
            "joining handle {i} gave what `send` returned for {got:?}, but user{i}'s email is {:?} ({situation})",
            emails[i]
        );
    }
    let mut sent = log.lock().unwrap().clone();
    sent.sort();
    if sent != emails {
        failing_means(Category::WrongResult);
    }
    assert_eq!(
        sent, emails,
        "`send` was called with {sent:?} for users whose emails are {emails:?} ({situation}). Every user's email \
         must be sent exactly once, by that user's own thread"
    );
}

hidden_tests! {
    fn explored_each_thread_sends_its_own_users_email_in_every_schedule() {
        failing_means(Category::Order);
        explore(
            "spawn_senders",
            "explored_each_thread_sends_its_own_users_email_in_every_schedule",
            Budget::default(),
            "each thread must send its own user's email, whatever the order in which the threads run: handle i \
             must give back what `send` returned for users[i].email. A thread that looks its email up when it \
             runs (a shared index or counter it takes the next value from, a shared variable the loop overwrites, \
             a queue it pops from) gets whatever is there at that moment, and a thread may be paused at any point \
             after it starts, even right after telling the loop it has started. Give each thread its email before \
             it starts: clone `user.email` inside the loop and `move` that clone into the closure.",
            || {
                let log: SendLog = Arc::new(Mutex::new(Vec::new()));
                let record = log.clone();
                each_handle_gives_its_own_users_email(
                    3,
                    log,
                    move |email: String| {
                        record.lock().unwrap().push(email.clone());
                        email
                    },
                    "3 users, `send` returning the email it was given",
                );
            },
        );
    }

    fn explored_threads_send_at_the_same_time_each_with_its_own_email() {
        failing_means(Category::NotConcurrent);
        explore(
            "spawn_senders",
            "explored_threads_send_at_the_same_time_each_with_its_own_email",
            Budget::default(),
            "here `send` waits until every user's thread is inside `send` before it returns, and the caller drops \
             its users right after spawn_senders returns; whatever the order in which the threads run, every \
             thread must get there and return its own user's email. If every thread was blocked, spawn_senders \
             waited for one thread (joined it, or waited for its result) before starting the next: start all of \
             them and return the handles without waiting. If a handle gave another user's email, its thread \
             looked the email up when it ran instead of owning it: clone `user.email` inside the loop and `move` \
             the clone into the closure.",
            || {
                let n = 3;
                let log: SendLog = Arc::new(Mutex::new(Vec::new()));
                let inside = Arc::new((Mutex::new(0usize), Condvar::new()));
                let record = log.clone();
                each_handle_gives_its_own_users_email(
                    n,
                    log,
                    move |email: String| {
                        record.lock().unwrap().push(email.clone());
                        let (count, all_in) = &*inside;
                        let mut count = count.lock().unwrap();
                        *count += 1;
                        all_in.notify_all();
                        while *count < n {
                            count = all_in.wait(count).unwrap();
                        }
                        email
                    },
                    "3 users dropped right after the call, each `send` waiting until all 3 threads are in `send`",
                );
            },
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
