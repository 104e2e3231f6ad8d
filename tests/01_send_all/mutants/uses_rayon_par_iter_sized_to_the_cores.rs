//! MUTANT: hands the calls to rayon's par_iter, whose global pool has one thread per core, so only that many calls run at once and the pool outlives the call.
//! CATEGORY: not_concurrent

use rayon::prelude::*;

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    addresses.par_iter().for_each(|address| send_email(address));
}
