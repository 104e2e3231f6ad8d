//! Exercise 09: fetch many urls at once, with a bounded number in flight.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check fetch_all`.

/// Calls `fetch` once per url, with at most `max_in_flight` calls running at
/// once, starting the next as soon as any one finishes (not in batches).
/// Returns the results in the order of `urls`. Panics if `max_in_flight` is 0.
pub fn fetch_all<T, E, F>(urls: &[&str], max_in_flight: usize, fetch: F) -> Vec<Result<T, E>>
where
    F: Fn(&str) -> Result<T, E> + Sync,
    T: Send,
    E: Send,
{
    // TODO: start a few worker threads (never more than `max_in_flight`),
    // let each one take the next url that nobody has taken yet until none is
    // left, and put every result back in the position of its url.
    let _ = (urls, max_in_flight, fetch);
    todo!()
}
