//! MUTANT: a thread per url behind a Mutex+Condvar semaphore that waits for a free slot under one lock guard and takes it (in_flight += 1) under a second, so a thread that arrives between another's check and its increment sees the same free slot and max_in_flight + 1 fetches run at once.
//! CATEGORY: too_concurrent

use std::sync::{Condvar, Mutex};
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
    let in_flight = Mutex::new(0usize);
    let freed = Condvar::new();
    let (in_flight, freed, fetch) = (&in_flight, &freed, &fetch);
    thread::scope(|scope| {
        let handles: Vec<_> = urls
            .iter()
            .map(|url| {
                scope.spawn(move || {
                    // Wait until a slot is free...
                    drop(freed.wait_while(in_flight.lock().unwrap(), |n| *n >= max_in_flight).unwrap());
                    // ...then take it.
                    *in_flight.lock().unwrap() += 1;
                    let result = fetch(url);
                    *in_flight.lock().unwrap() -= 1;
                    freed.notify_one();
                    result
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
