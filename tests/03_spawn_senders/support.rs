//! What the tests of `spawn_senders` share: users, a `send` that records
//! every call, calling and joining with deadlines, and starting the threads
//! in an order the test chooses (see `start_gate.rs`).

use crate::start_gate::{self, StartGate};
use spawn_senders::User;
use std::os::unix::thread::JoinHandleExt;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, ThreadId};
use testkit::prelude::*;

/// How long `spawn_senders` itself may take before a test gives up on it.
pub const CALL_LIMIT: Duration = Duration::from_secs(8);
/// How long a released thread may take to reach `send` before the test
/// stops ordering starts and lets every thread go.
pub const RELEASE_WAIT: Duration = Duration::from_secs(1);

/// Users with these emails, named `user0`, `user1`, ... Every string has
/// exactly the capacity of its contents, so a freed one can be refilled by
/// a string of the same length.
pub fn users_with(emails: &[String]) -> Vec<User> {
    emails
        .iter()
        .enumerate()
        .map(|(i, e)| User { name: String::from(format!("user{i}").as_str()), email: String::from(e.as_str()) })
        .collect()
}

/// `n` distinct, ordinary emails.
pub fn plain_emails(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}@example.com")).collect()
}

/// What our `send` returns: the bytes it was given and the thread it ran on.
/// (Bytes, not `String`: a thread that read freed memory may hand `send`
/// something that is not even UTF-8, and the test must still report it.)
#[derive(Clone, Debug)]
pub struct Receipt {
    pub email: Vec<u8>,
    pub thread: ThreadId,
}

/// Every call of `send`, in the order they happened.
#[derive(Default)]
pub struct SendLog {
    calls: Mutex<Vec<Receipt>>,
    changed: Condvar,
}

impl SendLog {
    pub fn new() -> Arc<SendLog> {
        Arc::new(SendLog::default())
    }

    pub fn record(&self, email: String) -> Receipt {
        let receipt = Receipt { email: email.into_bytes(), thread: thread::current().id() };
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(receipt.clone());
        self.changed.notify_all();
        receipt
    }

    pub fn calls(&self) -> Vec<Receipt> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits (without spinning) until `thread` has called `send` or `done()`
    /// holds; says whether either happened within `timeout`.
    pub fn wait_for_call_from(&self, thread: ThreadId, timeout: Duration, done: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if calls.iter().any(|r| r.thread == thread) || done() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // Short slices: `done()` (a thread that ended without sending)
            // does not notify this condvar.
            let slice = (deadline - now).min(Duration::from_millis(5));
            calls = self.changed.wait_timeout(calls, slice).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

/// A `send` that only records its call.
pub fn recording_send(log: &Arc<SendLog>) -> impl Fn(String) -> Receipt + Send + Sync + 'static {
    let log = Arc::clone(log);
    move |email| log.record(email)
}

/// Shows bytes that should have been an email, readable even if they are not UTF-8.
pub fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// Calls `spawn_senders(&users, send)` on a helper thread with a deadline,
/// optionally holding every thread it starts at the gate. Gives `users`
/// back, so that the test decides when they are dropped.
pub fn call_spawn_senders<F, R>(
    users: Vec<User>,
    send: F,
    hold: bool,
) -> (Vec<User>, Vec<JoinHandle<R>>, Option<StartGate>)
where
    F: Fn(String) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    let n = users.len();
    let outcome = within(CALL_LIMIT, move || {
        // The gate holds threads created from here on, and the only code
        // running now is `spawn_senders`: each thread it starts waits at
        // its start until the test lets it go.
        let gate = hold.then(StartGate::hold_new_threads);
        let handles = spawn_senders::spawn_senders(&users, send);
        if let Some(g) = &gate {
            g.stop_holding();
        }
        (users, handles, gate)
    });
    match outcome {
        Some(x) => x,
        None => {
            start_gate::degrade();
            panic!(
                "spawn_senders(&users, send) with {n} users did not return within {} s. It must start \
                 one thread per user and return their handles right away, without waiting for any \
                 `send` to run or finish (the caller joins the handles when it wants the results)",
                CALL_LIMIT.as_secs()
            )
        }
    }
}

/// Lets the held threads start one at a time, in `order` (indices into
/// `handles`), each only after the one before it has called `send` (or
/// ended). Then lets everyone else go.
pub fn start_in_order<R>(gate: &StartGate, handles: &[JoinHandle<R>], order: &[usize], log: &SendLog) {
    for &i in order {
        if !gate.is_ordering() {
            break;
        }
        let h = &handles[i];
        gate.release(pthread_id(h));
        if !log.wait_for_call_from(h.thread().id(), RELEASE_WAIT, || h.is_finished()) {
            // This thread waits for something (its siblings?) before it
            // sends. That is allowed; the test just cannot order starts.
            start_gate::degrade();
            break;
        }
    }
    gate.release_all();
}

/// For each handle, the order in which its thread was created among the
/// handles' threads, if the gate saw it created.
pub fn creation_ranks<R>(gate: &Option<StartGate>, handles: &[JoinHandle<R>]) -> Vec<Option<usize>> {
    let Some(gate) = gate else {
        return vec![None; handles.len()];
    };
    let created: Vec<Option<usize>> = handles.iter().map(|h| gate.creation_index(pthread_id(h))).collect();
    let mut known: Vec<usize> = created.iter().flatten().copied().collect();
    known.sort_unstable();
    created.iter().map(|c| c.and_then(|c| known.iter().position(|&k| k == c))).collect()
}

/// The `pthread_t` of a handle's thread, as the gate stores it.
#[allow(clippy::unnecessary_cast)] // `pthread_t` is not `u64` on every platform
fn pthread_id<R>(h: &JoinHandle<R>) -> u64 {
    h.as_pthread_t() as u64
}

/// Joins every handle, with a deadline; a thread's panic becomes `Err(message)`.
pub fn join_all<R: Send + 'static>(handles: Vec<JoinHandle<R>>) -> Vec<Result<R, String>> {
    let n = handles.len();
    within(GENEROUS, move || {
        handles
            .into_iter()
            .map(|h| {
                h.join().map_err(|p| {
                    p.downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_string())
                })
            })
            .collect()
    })
    .unwrap_or_else(|| {
        panic!(
            "joining the {n} handles spawn_senders returned did not finish within {} s, although every \
             `send` the test passed returns at once: each thread must call `send` once and then end",
            GENEROUS.as_secs()
        )
    })
}

/// The common verdict: one handle per user, handle `i` joined to the receipt
/// of `send(users[i].email)` made on handle `i`'s own thread, and every email
/// sent exactly once. `situation` says how the threads were started.
///
/// `ranks[i]`, when known, is the order in which handle `i`'s thread was
/// created among the handles' threads (see [`creation_ranks`]); it only
/// chooses the explanation.
pub fn check_each_thread_sent_its_own_email(
    emails: &[String],
    thread_ids: &[ThreadId],
    ranks: &[Option<usize>],
    results: Vec<Result<Receipt, String>>,
    log: &SendLog,
    situation: &str,
) {
    // Each part below declares its category only on the way to failing:
    // property tests call this for every case they try, and a case that
    // passes must not leave its declaration behind for the one that failed.
    if results.len() != emails.len() {
        failing_means(Category::WrongResult);
    }
    assert_eq!(
        results.len(),
        emails.len(),
        "spawn_senders was given {} users and returned {} handles ({situation}). It must return exactly \
         one handle per user, in user order",
        emails.len(),
        results.len()
    );
    for (i, result) in results.into_iter().enumerate() {
        let receipt = match result {
            Ok(r) => r,
            Err(msg) => {
                failing_means(Category::Panic);
                panic!(
                    "the thread of handle {i} (user{i}) panicked: {msg} ({situation}). Each thread must call \
                     `send` with its own user's email and return what `send` returned"
                )
            }
        };
        if receipt.email != emails[i].as_bytes() {
            // Another user's email, or garbage: the thread looked its email
            // up when it ran, or the handles are not in user order.
            failing_means(Category::Order);
            let owner = emails.iter().position(|e| e.as_bytes() == receipt.email.as_slice());
            if let Some(&Some(r)) = ranks.get(i)
                && r != i
                && receipt.email == emails[r].as_bytes()
            {
                panic!(
                    "handle {i} belongs to the thread spawn_senders started for user{r} (it sent {}), \
                     not to user{i} ({situation}). The handles must come back in user order: handle i \
                     is users[i]'s thread. Collect them in the order you spawn them (a Vec, filled in \
                     the loop or by map/collect), not in a HashMap or in the order threads finish",
                    show(&receipt.email)
                );
            }
            match owner {
                Some(j) => panic!(
                    "handle {i} returned a receipt for {} (user{j}'s email), but user{i}'s email is {} \
                     ({situation}). Each thread must own its user's email before it starts: clone \
                     `user.email` inside the loop and `move` it into the closure. A thread that looks its \
                     email up when it runs (through a shared index or queue, or a shared variable the loop \
                     overwrites) gets whatever is there at that moment, and threads do not start in the \
                     order they were spawned",
                    show(&receipt.email),
                    show(emails[i].as_bytes())
                ),
                None => panic!(
                    "handle {i} returned a receipt for {}, which is nobody's email; user{i}'s is {} \
                     ({situation}). The thread read the caller's memory after the caller had freed it: a \
                     thread must not borrow from `users`, because it may run after spawn_senders has \
                     returned and `users` is gone. That is why thread::spawn only takes 'static closures; \
                     give each thread an owned copy (`user.email.clone()`, moved into the closure)",
                    show(&receipt.email),
                    show(emails[i].as_bytes())
                ),
            }
        }
        if receipt.thread != thread_ids[i] {
            failing_means(Category::WrongResult);
        }
        assert!(
            receipt.thread == thread_ids[i],
            "handle {i}'s result was made by `send` running on another thread than handle {i}'s \
             ({situation}). The thread behind each handle must call `send` itself and return its result"
        );
    }
    let mut sent: Vec<Vec<u8>> = log.calls().into_iter().map(|r| r.email).collect();
    let mut wanted: Vec<Vec<u8>> = emails.iter().map(|e| e.clone().into_bytes()).collect();
    sent.sort();
    wanted.sort();
    if sent != wanted {
        failing_means(Category::WrongResult);
    }
    assert!(
        sent == wanted,
        "`send` was called {} times, with {:?}, for users whose emails are {:?} ({situation}). Every \
         user's email must be sent exactly once, by that user's own thread",
        sent.len(),
        sent.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<Vec<_>>(),
        emails
    );
}

/// Frees nothing itself: refills memory the caller just freed. Allocates
/// many strings of each given length filled with `#`, so that heap blocks
/// that held the users' strings now hold something else. Keep the result
/// alive until the threads have run.
pub fn scribble_over_freed_strings(lengths: &[usize]) -> Vec<String> {
    let mut junk = Vec::new();
    for _ in 0..8 {
        for &len in lengths {
            junk.push("#".repeat(len));
            junk.push("#".repeat(len + 1));
        }
    }
    junk
}
