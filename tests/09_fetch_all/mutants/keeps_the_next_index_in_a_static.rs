//! MUTANT: keeps the next-url index in a static AtomicUsize reset at the start of each call, so two fetch_all calls at the same time steal and repeat each other's indices.
//! CATEGORY: lost_update

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// "One counter for the whole program": shared by every call.
static NEXT: AtomicUsize = AtomicUsize::new(0);

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
    NEXT.store(0, Ordering::SeqCst);
    let slots: Vec<Mutex<Option<Result<T, E>>>> = (0..urls.len()).map(|_| Mutex::new(None)).collect();
    let (slots_ref, fetch) = (&slots, &fetch);
    thread::scope(|scope| {
        for _ in 0..max_in_flight.min(urls.len()) {
            scope.spawn(move || {
                loop {
                    let i = NEXT.fetch_add(1, Ordering::SeqCst);
                    let Some(url) = urls.get(i) else { break };
                    let result = fetch(url);
                    *slots_ref[i].lock().unwrap() = Some(result);
                }
            });
        }
    });
    slots.into_iter().map(|s| s.into_inner().unwrap().expect("a url was never fetched")).collect()
}
