//! MUTANT: workers send their results straight to the consumer's channel, so results come out in the order the workers finish them, not in input order.
//! CATEGORY: order

use crossbeam_channel::bounded;
use std::sync::Arc;
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
    let f = Arc::new(f);
    for _ in 0..workers {
        let in_rx = in_rx.clone();
        let out_tx = out_tx.clone();
        let f = Arc::clone(&f);
        thread::spawn(move || {
            for a in in_rx {
                if out_tx.send(f(a)).is_err() {
                    return;
                }
            }
        });
    }
    out_rx
}
