//! Exercise 11: a pipeline with backpressure.
//!
//! Reference solution. Three kinds of thread joined by bounded channels:
//!
//! ```text
//!             jobs: (item, ticket sender)        one-slot result channels
//! producer ───────────────────────────────▶ workers ─────────┐
//!    │                                                       ▼
//!    └──── tickets (result receivers), in input order ──▶ collector ──▶ consumer
//! ```
//!
//! For every item the producer makes a one-slot channel, a "claim ticket":
//! the job (the item plus the ticket's sending half) goes to whichever
//! worker is free, and the ticket's receiving half goes to the collector in
//! input order. The collector waits on the tickets one after another, so
//! results leave in input order whatever order the workers finish in, with
//! no index numbers and no reorder buffer.
//!
//! Every channel is bounded, so a consumer that stops reading stops
//! everything: the output fills, the collector blocks, the ticket channel
//! fills, and the producer blocks before it pulls more than a handful of
//! items. And every thread ends on its own: a failed send means the next
//! stage is gone, and a disconnected receive means the previous one is done.

use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};

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
    // Check on the caller's thread, before anything starts: a panic inside a
    // spawned thread would not reach the caller, and with no worker (or a
    // channel that can hold nothing) the pipeline could never deliver.
    assert!(workers > 0, "pipeline needs at least one worker, got workers = 0");
    assert!(capacity > 0, "pipeline needs a channel capacity of at least 1, got capacity = 0");

    // Every channel is bounded; those bounds are the backpressure.
    //
    // A ticket is outstanding from the moment its item is pulled until the
    // collector has handed its result on, so the ticket channel's bound is
    // how far the producer may run ahead of the collector: `capacity` items
    // queued for the workers plus one in the hands of each worker, as the
    // contract says. With only `capacity` tickets, a small capacity would
    // leave workers idle: at most `capacity + 1` items could be in flight.
    let (job_tx, job_rx) = bounded::<(A, Sender<B>)>(capacity);
    let (ticket_tx, ticket_rx) = bounded::<Receiver<B>>(capacity + workers);
    let (out_tx, out_rx) = bounded::<B>(capacity);

    // The producer. `input` is pulled lazily, one item at a time, and only
    // once the previous item has found room: an endless input is fine.
    thread::spawn(move || {
        for item in input {
            let (result_tx, result_rx) = bounded(1);
            // The ticket goes first. Its send blocks while the collector is
            // `capacity` tickets behind (the consumer is slow): that is
            // where the producer waits. It fails once the collector has
            // gone (the consumer dropped its receiver): then stop, before
            // any worker spends time on an item nobody will collect.
            if ticket_tx.send(result_rx).is_err() {
                return;
            }
            // Fails only if every worker has gone, which happens only if
            // `f` panicked in each of them.
            if job_tx.send((item, result_tx)).is_err() {
                return;
            }
        }
        // The input ended. Returning drops `job_tx` and `ticket_tx`: the
        // workers finish what is queued and see the channel disconnect, and
        // so does the collector. Nobody needs to be told "stop" in words.
    });

    // The workers share one queue of jobs (crossbeam's receiver can be
    // cloned: each job goes to exactly one of them, whichever is free) and
    // one `f` (behind an `Arc`, since every thread must own what it uses).
    let f = Arc::new(f);
    for _ in 0..workers {
        let job_rx = job_rx.clone();
        let f = Arc::clone(&f);
        thread::spawn(move || {
            // `iter()` blocks while the queue is empty (no spinning) and ends
            // when the producer has dropped its sender and the queue is empty.
            for (item, result_tx) in job_rx.iter() {
                // A one-slot channel never blocks its one send. It fails if
                // the collector has already given up on this ticket (the
                // pipeline is shutting down); the result is simply dropped.
                let _ = result_tx.send(f(item));
            }
        });
    }
    // The workers hold their own clones; ours must go, or the queue would
    // never disconnect from their side.
    drop(job_rx);

    // The collector: redeems the tickets in input order.
    thread::spawn(move || {
        for result_rx in ticket_rx.iter() {
            // Err means the worker dropped the ticket without sending: `f`
            // panicked on this item. The stream cannot go on in order, so end
            // it here; the consumer sees the receiver disconnect early rather
            // than wait forever.
            let Ok(result) = result_rx.recv() else { return };
            // Blocks while the consumer is `capacity` results behind; fails
            // once the consumer has dropped its receiver. Returning drops
            // `ticket_rx`, so the producer's next send fails too: shutdown
            // flows back up the pipe.
            if out_tx.send(result).is_err() {
                return;
            }
        }
        // Every ticket redeemed and the producer gone: returning drops
        // `out_tx`, and the consumer's receiver disconnects after the last
        // result.
    });

    out_rx
}
