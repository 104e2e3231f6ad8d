//! MUTANT: the producer raises an "input ended" flag after its last send, and a worker that finds the job queue empty with try_recv reads that flag and quits if it is up, instead of blocking in recv; items sent and the flag raised between the two looks are never worked on, and the stream ends without their results.
//! CATEGORY: check_then_act

// The learner keeps the lesson's channels and a reordering
// collector, but adds a flag "so that idle workers stop at once when the
// input ends": a worker that finds the queue empty checks the flag before it
// blocks in recv. The flag goes up only after the producer's last send, so it
// looks harmless; but "empty" was seen a moment earlier, and the last items
// can arrive and the flag go up between the two looks. Real threads need the
// end of the input to land in that gap, once per pipeline, with no other
// worker blocked in recv to take those items.

use crossbeam_channel::{TryRecvError, bounded};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    let (job_tx, job_rx) = bounded::<(usize, A)>(capacity);
    let (done_tx, done_rx) = bounded::<(usize, B)>(capacity);
    let (out_tx, out_rx) = bounded::<B>(capacity);
    let input_ended = Arc::new(AtomicBool::new(false));

    let ended = input_ended.clone();
    thread::spawn(move || {
        for (i, a) in input.into_iter().enumerate() {
            if job_tx.send((i, a)).is_err() {
                return;
            }
        }
        // No more items will come: idle workers may stop.
        ended.store(true, Ordering::SeqCst);
    });

    let f = Arc::new(f);
    for _ in 0..workers {
        let (job_rx, done_tx, f, ended) = (job_rx.clone(), done_tx.clone(), f.clone(), input_ended.clone());
        thread::spawn(move || {
            loop {
                let (i, a) = match job_rx.try_recv() {
                    Ok(job) => job,
                    Err(TryRecvError::Disconnected) => return,
                    Err(TryRecvError::Empty) => {
                        // Nothing queued: stop now if the input has ended,
                        // instead of blocking in recv. (The queue was empty
                        // a moment ago.)
                        if ended.load(Ordering::SeqCst) {
                            return;
                        }
                        match job_rx.recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        }
                    }
                };
                if done_tx.send((i, f(a))).is_err() {
                    return;
                }
            }
        });
    }
    drop((job_rx, done_tx));

    // The collector: results in input order, early ones kept aside.
    thread::spawn(move || {
        let mut next = 0;
        let mut early = BTreeMap::new();
        for (i, b) in done_rx {
            early.insert(i, b);
            while let Some(b) = early.remove(&next) {
                if out_tx.send(b).is_err() {
                    return;
                }
                next += 1;
            }
        }
    });
    out_rx
}
