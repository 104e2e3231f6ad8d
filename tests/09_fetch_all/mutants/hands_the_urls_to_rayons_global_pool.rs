//! MUTANT: hands the urls to rayon's par_iter, whose global pool has one thread per core whatever max_in_flight says, and whose threads outlive the call.
//! CATEGORY: too_concurrent

use rayon::prelude::*;

/// Calls `fetch` once per url, with at most `max_in_flight` calls running at
/// once, starting the next as soon as any one finishes (not in batches).
/// Returns the results in the order of `urls`. Panics if `max_in_flight` is 0.
pub fn fetch_all<T, E, F>(urls: &[&str], max_in_flight: usize, fetch: F) -> Vec<Result<T, E>>
where
    F: Fn(&str) -> Result<T, E> + Sync,
    T: Send,
    E: Send,
{
    assert!(max_in_flight > 0, "max_in_flight must be at least 1");
    urls.par_iter().map(|url| fetch(url)).collect()
}
