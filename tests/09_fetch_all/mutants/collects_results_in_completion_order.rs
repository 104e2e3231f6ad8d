//! MUTANT: workers send each result down a channel without its index, and fetch_all collects them in the order they arrive, which is completion order, not the order of urls.
//! CATEGORY: order

use std::sync::atomic::{AtomicUsize, Ordering};
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
    let next = AtomicUsize::new(0);
    let (next, fetch) = (&next, &fetch);
    let (tx, rx) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..max_in_flight.min(urls.len()) {
            let tx = tx.clone();
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(url) = urls.get(i) else { break };
                    let _ = tx.send(fetch(url));
                }
            });
        }
        drop(tx);
        rx.iter().collect()
    })
}
