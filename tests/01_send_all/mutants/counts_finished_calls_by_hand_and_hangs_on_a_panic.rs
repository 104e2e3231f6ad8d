//! MUTANT: waits on a hand-kept count of finished calls that a panicking call never increments (Done not deferred), so one panic hangs send_all forever.
//! CATEGORY: panic

use std::sync::{Condvar, Mutex};
use std::thread;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    let finished = Mutex::new(0usize);
    let all_done = Condvar::new();
    let (send_email, finished, all_done) = (&send_email, &finished, &all_done);
    thread::scope(|scope| {
        for address in addresses {
            scope.spawn(move || {
                send_email(address);
                // Skipped when send_email panics.
                *finished.lock().unwrap() += 1;
                all_done.notify_all();
            });
        }
        let mut count = finished.lock().unwrap();
        while *count < addresses.len() {
            count = all_done.wait(count).unwrap();
        }
    });
}
