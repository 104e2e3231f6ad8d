//! MUTANT: calls fetch a second time for a url whose first fetch returned Err, so failing urls are fetched twice.
//! CATEGORY: wrong_result

use std::sync::atomic::{AtomicUsize, Ordering};
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
    let next = AtomicUsize::new(0);
    let (next, fetch) = (&next, &fetch);
    let finished: Vec<Vec<(usize, Result<T, E>)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..max_in_flight.min(urls.len()))
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(url) = urls.get(i) else { break };
                        // "Networks are flaky": one more try before giving up.
                        let result = fetch(url).or_else(|_| fetch(url));
                        mine.push((i, result));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut slots: Vec<Option<Result<T, E>>> = (0..urls.len()).map(|_| None).collect();
    for (i, r) in finished.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().map(Option::unwrap).collect()
}
