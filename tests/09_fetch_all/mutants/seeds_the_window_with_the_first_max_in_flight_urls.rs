//! MUTANT: a sliding window that starts urls[..max_in_flight] first and one more per finished fetch, but slices past the end of urls when max_in_flight is larger than urls.len().
//! CATEGORY: panic

use std::sync::mpsc;
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
    let (tx, rx) = mpsc::channel();
    let mut slots: Vec<Option<Result<T, E>>> = (0..urls.len()).map(|_| None).collect();
    thread::scope(|scope| {
        // Fill the window. Panics when there are fewer urls than slots.
        for (i, url) in urls[..max_in_flight].iter().enumerate() {
            let tx = tx.clone();
            scope.spawn(move || tx.send((i, fetch(url))).unwrap());
        }
        let mut next = max_in_flight;
        for _ in 0..urls.len() {
            let (i, result) = rx.recv().unwrap();
            slots[i] = Some(result);
            if let Some(url) = urls.get(next) {
                let (tx, i) = (tx.clone(), next);
                scope.spawn(move || tx.send((i, fetch(url))).unwrap());
                next += 1;
            }
        }
    });
    slots.into_iter().map(Option::unwrap).collect()
}
