//! MUTANT: removes duplicate addresses with a HashSet first, so an address listed twice is sent only once.
//! CATEGORY: wrong_result

use std::collections::HashSet;
use std::thread;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    let unique: HashSet<&str> = addresses.iter().map(String::as_str).collect();
    let send_email = &send_email;
    thread::scope(|scope| {
        for address in unique {
            scope.spawn(move || send_email(address));
        }
    });
}
