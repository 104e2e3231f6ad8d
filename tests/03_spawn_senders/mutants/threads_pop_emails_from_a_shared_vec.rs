//! MUTANT: the emails go into one shared Mutex<Vec>, and each thread pops whichever email is on top when it runs.
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
    let queue = Arc::new(Mutex::new(
        users.iter().map(|u| u.email.clone()).collect::<Vec<_>>(),
    ));
    let send = Arc::new(send);
    users
        .iter()
        .map(|_| {
            let (queue, send) = (Arc::clone(&queue), Arc::clone(&send));
            std::thread::spawn(move || {
                let email = queue.lock().unwrap().pop().unwrap();
                send(email)
            })
        })
        .collect()
}
