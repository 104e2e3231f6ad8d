//! MUTANT: cuts urls into chunks of max_in_flight and waits for each whole chunk before starting the next, so a free slot idles until the slowest fetch of its batch is done.
//! CATEGORY: not_concurrent

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
    let mut results = Vec::with_capacity(urls.len());
    for batch in urls.chunks(max_in_flight) {
        thread::scope(|scope| {
            let handles: Vec<_> = batch.iter().map(|url| scope.spawn(move || fetch(url))).collect();
            for h in handles {
                results.push(h.join().unwrap());
            }
        });
    }
    results
}
