//! MUTANT: every stage ignores a failed send and carries on, so after the receiver is dropped the threads keep pulling and computing forever.
//! CATEGORY: ignored_cancellation

use crossbeam_channel::bounded;
use std::collections::BTreeMap;
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
    let (in_tx, in_rx) = bounded::<(usize, A)>(capacity);
    let (res_tx, res_rx) = bounded::<(usize, B)>(capacity);
    let (out_tx, out_rx) = bounded::<B>(capacity);
    thread::spawn(move || {
        for (i, a) in input.into_iter().enumerate() {
            let _ = in_tx.send((i, a));
        }
    });
    let f = Arc::new(f);
    for _ in 0..workers {
        let in_rx = in_rx.clone();
        let res_tx = res_tx.clone();
        let f = Arc::clone(&f);
        thread::spawn(move || {
            while let Ok((i, a)) = in_rx.recv() {
                let _ = res_tx.send((i, f(a)));
            }
        });
    }
    drop(res_tx);
    thread::spawn(move || {
        let mut next = 0;
        let mut waiting = BTreeMap::new();
        for (i, b) in res_rx {
            waiting.insert(i, b);
            while let Some(b) = waiting.remove(&next) {
                if out_tx.send(b).is_err() {
                    return;
                }
                next += 1;
            }
        }
    });
    out_rx
}
