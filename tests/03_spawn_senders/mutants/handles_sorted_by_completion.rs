//! MUTANT: the handles are returned in the order the threads finished their send, not in user order.
//! CATEGORY: order

use std::sync::{Arc, mpsc};
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
    let (done_tx, done_rx) = mpsc::channel();
    let mut handles: Vec<Option<JoinHandle<R>>> = users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let email = user.email.clone();
            let (send, done_tx) = (Arc::clone(&send), done_tx.clone());
            Some(std::thread::spawn(move || {
                let r = send(email);
                let _ = done_tx.send(i);
                r
            }))
        })
        .collect();
    drop(done_tx);
    // "Fastest first": hand back the handles of the threads that finished first.
    done_rx.iter().map(|i| handles[i].take().unwrap()).collect()
}
