//! Helpers shared by the hidden tests of exercise 01.
//!
//! Every closure these tests hand to `send_all` owns its state through an
//! `Arc` (or touches nothing at all). A broken `send_all` that lets its
//! threads outlive the call (the Go-style "start it and forget it") then
//! leaves them holding memory that is still alive, so one wrong answer cannot
//! crash the tests that come after it.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// `n` distinct addresses, in order.
pub fn addresses(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}@example.com")).collect()
}

/// Runs `send_all(&addresses, send_email)` on a helper thread and waits up
/// to `timeout` for it: `true` if it returned. A panic inside `send_all`
/// reaches the caller of this function.
pub fn send_all_within<F>(timeout: Duration, addresses: Vec<String>, send_email: F) -> bool
where
    F: Fn(&str) + Sync + Send + 'static,
{
    testkit::probe::within(timeout, move || send_all::send_all(&addresses, send_email)).is_some()
}

/// How many times each address occurs.
pub fn tally<'a>(items: impl IntoIterator<Item = &'a String>) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item.as_str()).or_insert(0) += 1;
    }
    counts
}

/// Compares the calls that were made with the entries of the slice. `None`
/// when they match as multisets (order is free: the calls run at the same
/// time); otherwise a sentence per address that went wrong.
pub fn call_mismatch(expected: &[String], seen: &[String]) -> Option<String> {
    let want = tally(expected);
    let got = tally(seen);
    let mut problems = Vec::new();
    for (address, &n) in &want {
        let made = got.get(address).copied().unwrap_or(0);
        if made != n {
            problems.push(format!(
                "{address:?} appears {n} time(s) in the slice but send_email was called with it {made} time(s)"
            ));
        }
    }
    for (address, &made) in &got {
        if !want.contains_key(address) {
            problems.push(format!("send_email was called {made} time(s) with {address:?}, which is not in the slice"));
        }
    }
    if problems.is_empty() { None } else { Some(problems.join("; ")) }
}

/// A gate that starts closed. Threads wait for it to open, each up to a
/// deadline, so that a broken implementation can never hang them forever.
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Gate { open: Mutex::new(false), opened: Condvar::new() }
    }

    /// Opens the gate and wakes everyone waiting at it.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    /// Blocks until the gate opens or `deadline` passes; says whether it is open.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            open = self.opened.wait_timeout(open, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        *open
    }
}
