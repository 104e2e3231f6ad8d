//! Exercise 03: give every thread its own value.
//!
//! Reference solution. The whole lesson is in the loop: each thread is handed
//! everything it will ever read *before* it starts, and owns it.

use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// Someone to send an email to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's display name.
    pub name: String,
    /// The address `send` is called with.
    pub email: String,
}

/// Starts one thread per user, in order; that thread calls `send(email)` with
/// its own user's email and returns what `send` returned. Returns the join
/// handles in user order. The caller may drop `users` right after the call.
pub fn spawn_senders<F, R>(users: &[User], send: F) -> Vec<JoinHandle<R>>
where
    F: Fn(String) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    // Every thread needs to call the same `send`, and any of them may be the
    // last one still running, so none of them can own it alone. An `Arc`
    // gives each thread an owning pointer; `send` is dropped when the last
    // thread is done with it. (`F: Sync` is what lets several threads call
    // it through shared pointers at once.)
    let send = Arc::new(send);

    users
        .iter()
        .map(|user| {
            // Copy this user's email *now*, on the caller's thread, while
            // `users` is certainly alive. The new thread may not start until
            // long after this function has returned and the caller has
            // dropped `users`, which is exactly why `thread::spawn` demands a
            // `'static` closure: it cannot hold a borrow of `users`.
            let email = user.email.clone();
            let send = Arc::clone(&send);
            // `move` puts `email` and this `Arc` inside the closure, so the
            // thread owns its own copy: nothing it reads is shared with the
            // loop or with the other threads, so when it happens to run
            // cannot change what it sends.
            thread::spawn(move || send(email))
        })
        // `map` + `collect` keeps the handles in the order of `users`, which
        // is the order the caller will pair them with its users.
        .collect()
}
