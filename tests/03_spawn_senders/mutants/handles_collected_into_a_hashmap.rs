//! MUTANT: the handles are kept in a HashMap keyed by email and returned in the map's order, not in user order.
//! CATEGORY: order

use std::collections::HashMap;
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
    let mut by_email = HashMap::new();
    for user in users {
        let email = user.email.clone();
        let send = Arc::clone(&send);
        by_email.insert(user.email.clone(), std::thread::spawn(move || send(email)));
    }
    by_email.into_values().collect()
}
