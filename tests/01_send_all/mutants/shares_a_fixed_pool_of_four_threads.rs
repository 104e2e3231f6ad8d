//! MUTANT: splits the addresses between a fixed pool of four threads, so at most four calls run at a time.
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
    const WORKERS: usize = 4;
    let send_email = &send_email;
    let per_worker = addresses.len().div_ceil(WORKERS).max(1);
    thread::scope(|scope| {
        for share in addresses.chunks(per_worker) {
            scope.spawn(move || {
                for address in share {
                    send_email(address);
                }
            });
        }
    });
}
