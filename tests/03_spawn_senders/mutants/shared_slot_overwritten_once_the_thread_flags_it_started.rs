//! MUTANT: the loop writes each email into one shared slot and waits for an atomic "started" flag before writing the next, but the thread raises the flag just before it reads the slot, so a thread paused in between reads the next user's email.
//! CATEGORY: order

use std::sync::atomic::{AtomicBool, Ordering};
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
    // "The" current email, shared by the loop and every thread, as in Go
    // before 1.22. The learner saw the loop overwrite it too early and added
    // a handshake: the loop moves on only once the new thread has started.
    let current = Arc::new(Mutex::new(String::new()));
    let started = Arc::new(AtomicBool::new(false));
    let send = Arc::new(send);
    let mut handles = Vec::new();
    for user in users {
        *current.lock().unwrap() = user.email.clone();
        started.store(false, Ordering::SeqCst);
        let (current, send, flag) = (Arc::clone(&current), Arc::clone(&send), Arc::clone(&started));
        handles.push(std::thread::spawn(move || {
            // Raises the flag first, reads the slot second: between the two,
            // the loop is free to overwrite the slot.
            flag.store(true, Ordering::SeqCst);
            let email = current.lock().unwrap().clone();
            send(email)
        }));
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }
    handles
}
