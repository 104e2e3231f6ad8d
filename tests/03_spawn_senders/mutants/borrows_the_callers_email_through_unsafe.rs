//! MUTANT: the thread borrows the caller's email through an unsafely extended &'static str and reads it after the caller may have dropped users.
//! CATEGORY: order

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
    let send = std::sync::Arc::new(send);
    let mut handles = Vec::new();
    for user in users {
        // "Cloning is wasteful": borrow the email instead, and silence the
        // borrow checker's 'static complaint.
        let email: &'static str =
            unsafe { std::mem::transmute::<&str, &'static str>(user.email.as_str()) };
        let send = std::sync::Arc::clone(&send);
        handles.push(std::thread::spawn(move || send(email.to_string())));
    }
    handles
}
