//! MUTANT: starts one scoped thread per url and ignores max_in_flight, so every fetch runs at once.
//! CATEGORY: too_concurrent

use std::thread;

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
    let fetch = &fetch;
    thread::scope(|scope| {
        let handles: Vec<_> = urls.iter().map(|url| scope.spawn(move || fetch(url))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
