//! MUTANT: gives each worker urls.len() / max_in_flight urls, rounded down, so the urls left over when the count does not divide evenly are never fetched.
//! CATEGORY: wrong_result

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
    let workers = max_in_flight.min(urls.len());
    let share = if workers == 0 { 0 } else { urls.len() / workers };
    let fetch = &fetch;
    thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine = &urls[w * share..(w + 1) * share];
                scope.spawn(move || mine.iter().map(|url| fetch(url)).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}
