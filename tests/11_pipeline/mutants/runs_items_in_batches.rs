//! MUTANT: the items are taken in batches of `workers`, and a batch's results go out only once the whole batch has been pulled and computed, so a result waits for later input.
//! CATEGORY: wrong_result

use crossbeam_channel::bounded;
use std::thread;

/// Starts a producer thread that feeds `input` into a bounded channel of
/// `capacity`, and `workers` threads that apply `f`. The returned receiver
/// yields every result in input order. The producer never runs more than
/// `capacity` items (plus what the workers hold) ahead of the consumer.
/// Dropping the receiver early stops every thread promptly and leaves no
/// thread behind. Panics if `workers` or `capacity` is 0.
pub fn pipeline<A, B, I, F>(input: I, f: F, workers: usize, capacity: usize) -> crossbeam_channel::Receiver<B>
where
    I: IntoIterator<Item = A> + Send + 'static,
    A: Send + 'static,
    B: Send + 'static,
    F: Fn(A) -> B + Send + Sync + 'static,
{
    assert!(workers > 0, "workers must be at least 1");
    assert!(capacity > 0, "capacity must be at least 1");
    let (in_tx, in_rx) = bounded::<A>(capacity);
    let (out_tx, out_rx) = bounded::<B>(capacity);
    thread::spawn(move || {
        for a in input {
            if in_tx.send(a).is_err() {
                return;
            }
        }
    });
    // One batch of `workers` items at a time, each item on a scoped thread;
    // the results of a batch come back in order from the joins.
    thread::spawn(move || {
        loop {
            let batch: Vec<A> = in_rx.iter().take(workers).collect();
            if batch.is_empty() {
                return;
            }
            let results: Vec<B> = thread::scope(|s| {
                let handles: Vec<_> = batch.into_iter().map(|a| s.spawn(|| f(a))).collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for b in results {
                if out_tx.send(b).is_err() {
                    return;
                }
            }
        }
    });
    out_rx
}
