//! MUTANT: an extra progress-reporting thread is started and never ends, so a thread is left behind after every handle was joined.
//! CATEGORY: leaked_thread

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

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
    let count = users.len();
    // A detached "progress" thread that reports later; nobody ever joins it.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("{count} emails sent");
    });
    users
        .iter()
        .map(|user| {
            let email = user.email.clone();
            let send = Arc::clone(&send);
            std::thread::spawn(move || send(email))
        })
        .collect()
}
