//! MUTANT: splits urls in advance into one contiguous share per worker, so a worker that is done idles while a slow worker's share waits (and chunks(0) panics on an empty list).
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
    let per_worker = urls.len().div_ceil(max_in_flight);
    let fetch = &fetch;
    thread::scope(|scope| {
        let handles: Vec<_> = urls
            .chunks(per_worker)
            .map(|share| scope.spawn(move || share.iter().map(|url| fetch(url)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}
