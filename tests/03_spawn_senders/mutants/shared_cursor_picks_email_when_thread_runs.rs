//! MUTANT: each thread takes the next index from a shared atomic counter when it starts running, so threads that start out of spawn order send other users' emails.
//! CATEGORY: order

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    let emails: Arc<Vec<String>> = Arc::new(users.iter().map(|u| u.email.clone()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let send = Arc::new(send);
    let mut handles = Vec::new();
    for _ in users {
        let (emails, next, send) = (Arc::clone(&emails), Arc::clone(&next), Arc::clone(&send));
        handles.push(std::thread::spawn(move || {
            let i = next.fetch_add(1, Ordering::SeqCst);
            send(emails[i].clone())
        }));
    }
    handles
}
