//! Exercise 01: start concurrent work, and wait for it.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check send_all`.

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    // TODO: start one thread per address, let them all run at once, and
    // return only when every one of them has finished.
    let _ = (addresses, send_email);
    todo!()
}
