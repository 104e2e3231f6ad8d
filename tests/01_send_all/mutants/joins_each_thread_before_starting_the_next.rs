//! MUTANT: joins each thread right after starting it, so the calls run one after another instead of at the same time.
//! CATEGORY: not_concurrent

use std::thread;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    let send_email = &send_email;
    thread::scope(|scope| {
        for address in addresses {
            // Waiting here, inside the loop, is the mistake.
            scope.spawn(move || send_email(address)).join().unwrap();
        }
    });
}
