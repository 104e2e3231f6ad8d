//! MUTANT: each thread is joined before the next is started, so the sends run one after another instead of at the same time.
//! CATEGORY: not_concurrent

use std::sync::Arc;
use std::thread::JoinHandle;

/// Someone to send an email to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's display name.
    pub name: String,
    /// The address `send` is called with.
    pub email: String,
}

/// Starts one thread per user.
pub fn spawn_senders<F, R>(users: &[User], send: F) -> Vec<JoinHandle<R>>
where
    F: Fn(String) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    let send = Arc::new(send);
    users
        .iter()
        .map(|user| {
            let email = user.email.clone();
            let send = Arc::clone(&send);
            // Wait for this send, then hand back a thread that just returns its result.
            let result = std::thread::spawn(move || send(email)).join().unwrap();
            std::thread::spawn(move || result)
        })
        .collect()
}
