//! MUTANT: a thread per url that waits for a free slot by looping on an atomic count of fetches in flight (with yield_now), burning CPU while it waits.
//! CATEGORY: busy_wait

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
    let in_flight = AtomicUsize::new(0);
    let (in_flight, fetch) = (&in_flight, &fetch);
    thread::scope(|scope| {
        let handles: Vec<_> = urls
            .iter()
            .map(|url| {
                scope.spawn(move || {
                    // Take a slot: compare-and-swap keeps the bound exact, but
                    // the waiting is a busy loop.
                    loop {
                        let n = in_flight.load(Ordering::SeqCst);
                        if n < max_in_flight
                            && in_flight.compare_exchange(n, n + 1, Ordering::SeqCst, Ordering::SeqCst).is_ok()
                        {
                            break;
                        }
                        thread::yield_now();
                    }
                    let result = fetch(url);
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    result
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
