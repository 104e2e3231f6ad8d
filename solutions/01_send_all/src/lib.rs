//! Exercise 01, reference solution: start concurrent work, and wait for it.

use std::thread;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    // The threads borrow `send_email` and `addresses`, which live only as
    // long as this call. `std::thread::spawn` refuses such borrows (its
    // threads may outlive everything), but a scope promises that every thread
    // started inside it has ended before `scope` returns. That promise is
    // exactly our contract: the caller does not get control back while a call
    // is still running, so nothing it owns can be used after it is gone.
    //
    // `F: Sync` is what lets all the threads share one `&F` at the same time.
    let send_email = &send_email;
    thread::scope(|scope| {
        // One thread per entry of the slice, duplicates included: the caller
        // asked for one call per entry, not one per distinct address. Start
        // them all before waiting for any, so that they run side by side.
        for address in addresses {
            // `move` copies the two references into the thread; the `String`
            // itself stays where the caller keeps it.
            scope.spawn(move || send_email(address));
        }
        // No explicit join: leaving the scope joins every thread we started.
    });
    // Here every call has finished. If one of them panicked, `scope` has
    // already waited for all the others and then re-raised a panic in this
    // thread ("a scoped thread panicked"), so the caller hears about the
    // failure instead of it vanishing with the thread. The original message
    // was printed when that call panicked.
}
