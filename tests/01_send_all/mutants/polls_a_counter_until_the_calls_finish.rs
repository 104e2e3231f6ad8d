//! MUTANT: waits for the calls by spinning on an atomic counter of finished calls, burning a core while it waits.
//! CATEGORY: busy_wait

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    let finished = AtomicUsize::new(0);
    let (send_email, finished) = (&send_email, &finished);
    thread::scope(|scope| {
        let handles: Vec<_> = addresses
            .iter()
            .map(|address| {
                scope.spawn(move || {
                    send_email(address);
                    finished.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        // Busy-wait until every call has reported (or every thread has
        // ended, so that a panicking call cannot hang us).
        while finished.load(Ordering::SeqCst) < addresses.len() && !handles.iter().all(|h| h.is_finished()) {
            std::hint::spin_loop();
        }
    });
}
