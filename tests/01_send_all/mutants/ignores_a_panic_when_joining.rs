//! MUTANT: joins every thread but throws away the Err of a call that panicked, so the caller never hears of the failure.
//! CATEGORY: panic

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
        let handles: Vec<_> = addresses.iter().map(|address| scope.spawn(move || send_email(address))).collect();
        for handle in handles {
            // "One failed email should not stop the others": but a joined
            // panic that is dropped here is gone for good.
            let _ = handle.join();
        }
    });
}
