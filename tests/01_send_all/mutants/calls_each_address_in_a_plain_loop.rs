//! MUTANT: calls send_email for each address in a plain loop on the caller's thread, with no threads at all.
//! CATEGORY: not_concurrent

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    for address in addresses {
        send_email(address);
    }
}
