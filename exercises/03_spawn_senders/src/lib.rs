//! Exercise 03: give every thread its own value.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check spawn_senders`.

use std::thread::JoinHandle;

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
    // TODO: for each user, in order, give a new thread its own copy of that
    // user's email (and a way to call `send`), start it, and keep its handle.
    // Return the handles without waiting for any of the threads.
    let _ = (users, send);
    todo!()
}
