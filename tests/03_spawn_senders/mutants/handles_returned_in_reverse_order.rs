//! MUTANT: the handles are pushed to the front of the list, so they come back in reverse user order.
//! CATEGORY: order

use std::collections::VecDeque;
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
    let mut handles = VecDeque::new();
    for user in users {
        let email = user.email.clone();
        let send = Arc::clone(&send);
        handles.push_front(std::thread::spawn(move || send(email)));
    }
    handles.into_iter().collect()
}
