//! MUTANT: a thread per url behind a correct Mutex+Condvar semaphore, but with no check of max_in_flight, so with 0 slots every thread waits for a slot forever instead of panicking.
//! CATEGORY: wrong_result

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
    let free = Mutex::new(max_in_flight);
    let freed = Condvar::new();
    let (free, freed, fetch) = (&free, &freed, &fetch);
    thread::scope(|scope| {
        let handles: Vec<_> = urls
            .iter()
            .map(|url| {
                scope.spawn(move || {
                    {
                        let mut n = freed.wait_while(free.lock().unwrap(), |n| *n == 0).unwrap();
                        *n -= 1;
                    }
                    let result = fetch(url);
                    *free.lock().unwrap() += 1;
                    freed.notify_one();
                    result
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
