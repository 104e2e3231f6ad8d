//! MUTANT: starts a detached thread per address and returns at once, the literal port of Go's `go sendEmail(addr)`, never waiting for the calls.
//! CATEGORY: leaked_thread

use std::thread;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    // `thread::spawn` wants 'static closures and `F` is not 'static, so the
    // lifetime is "erased" with unsafe, the way a Go port gets past the
    // borrow checker. (The closure is leaked to the heap first, so that the
    // detached threads at least do not read this function's freed stack.)
    let leaked: &(dyn Fn(&str) + Sync) = Box::leak(Box::new(send_email));
    let send_email: &'static (dyn Fn(&str) + Sync) = unsafe { std::mem::transmute(leaked) };
    for address in addresses {
        let address = address.clone();
        thread::spawn(move || send_email(&address));
    }
    // Returns here while the threads may still be sending.
}
