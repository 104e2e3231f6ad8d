//! Exercise 09, reference solution: fetch many urls at once, with a bounded
//! number in flight.
//!
//! A fixed crew of workers (never more than `max_in_flight`) shares one
//! counter that says which url is next. A worker that finishes a fetch takes
//! the next url at once, so a slot never stands idle while work is left, and
//! every result is put back in the position of its url, whatever order the
//! fetches finish in.

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
    // Zero slots would mean no fetch can ever run: say so loudly instead of
    // returning nothing or waiting forever.
    assert!(max_in_flight > 0, "fetch_all: max_in_flight must be at least 1");

    // One worker per slot, but no more workers than urls: a worker with
    // nothing to fetch would only be started and joined for nothing.
    let workers = max_in_flight.min(urls.len());

    // The index of the next url nobody has taken yet. `fetch_add` reads and
    // bumps it in one indivisible step, so two workers can never take the
    // same index, and no index is skipped: each url is fetched exactly once.
    // Relaxed is enough: the counter orders nothing but itself, and the
    // results travel back through `join`, which synchronises on its own.
    let next = AtomicUsize::new(0);
    let (next, fetch) = (&next, &fetch);

    // Scoped threads may borrow `urls`, `fetch` and `next`, because the scope
    // joins every one of them before it returns: no thread outlives the call.
    let finished: Vec<Vec<(usize, Result<T, E>)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(move || {
                    // Each worker keeps its own results, tagged with the index
                    // of their url: nothing is shared while fetching, so no
                    // lock is needed.
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        // Past the end: every url has been taken. (The counter
                        // keeps growing by one per worker; that is harmless.)
                        let Some(url) = urls.get(i) else { break };
                        mine.push((i, fetch(url)));
                    }
                    mine
                })
            })
            .collect();
        // A panicking fetch ends its worker; re-raise it here, after the
        // scope has waited for the others.
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });

    // Results arrive grouped by worker and in completion order. Put each one
    // in the slot of its url, so the caller reads them in the order of `urls`.
    let mut slots: Vec<Option<Result<T, E>>> = (0..urls.len()).map(|_| None).collect();
    for (i, result) in finished.into_iter().flatten() {
        slots[i] = Some(result);
    }
    slots.into_iter().map(|slot| slot.expect("every index below urls.len() is taken by exactly one worker")).collect()
}
