//! MUTANT: workers push each url's index and its result onto two Mutex-guarded lists under two separate locks, and fetch_all pairs the lists up at the end, so two workers finishing at once can interleave their pushes and swap two results.
//! CATEGORY: order

use std::sync::Mutex;
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
    // Where each result goes, and the results, in the order they finished.
    let indices = Mutex::new(Vec::new());
    let results = Mutex::new(Vec::new());
    let (next, indices_ref, results_ref, fetch) = (&next, &indices, &results, &fetch);
    thread::scope(|scope| {
        for _ in 0..max_in_flight.min(urls.len()) {
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(url) = urls.get(i) else { break };
                    let result = fetch(url);
                    indices_ref.lock().unwrap().push(i);
                    results_ref.lock().unwrap().push(result);
                }
            });
        }
    });
    let mut slots: Vec<Option<Result<T, E>>> = (0..urls.len()).map(|_| None).collect();
    for (i, result) in indices.into_inner().unwrap().into_iter().zip(results.into_inner().unwrap()) {
        slots[i] = Some(result);
    }
    slots.into_iter().map(|slot| slot.expect("every url was fetched")).collect()
}
