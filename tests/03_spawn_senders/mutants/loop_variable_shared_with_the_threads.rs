//! MUTANT: the loop writes each email into one shared variable and each thread reads that variable when it starts, like Go's old loop-variable capture.
//! CATEGORY: order

use std::sync::{Arc, Mutex};
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
    // "The" current email, shared by the loop and every thread.
    let current = Arc::new(Mutex::new(String::new()));
    let send = Arc::new(send);
    let mut handles = Vec::new();
    for user in users {
        *current.lock().unwrap() = user.email.clone();
        let (current, send) = (Arc::clone(&current), Arc::clone(&send));
        handles.push(std::thread::spawn(move || {
            let email = current.lock().unwrap().clone();
            send(email)
        }));
    }
    handles
}
