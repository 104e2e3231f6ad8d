//! MUTANT: fetches the urls one after another on the caller's thread, never more than one in flight.
//! CATEGORY: not_concurrent

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
    urls.iter().map(|url| fetch(url)).collect()
}
