//! MUTANT: a single worker thread whatever `workers` says (it keeps the order for free), so f never runs on two items at once.
//! CATEGORY: not_concurrent

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
    // One worker: results leave in the order the items came, with no
    // bookkeeping at all.
    thread::spawn(move || {
        for a in in_rx {
            if out_tx.send(f(a)).is_err() {
                return;
            }
        }
    });
    out_rx
}
