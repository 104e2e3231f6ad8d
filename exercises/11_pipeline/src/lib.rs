//! Exercise 11: a pipeline with backpressure.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check pipeline`.

// TODO: you will need `crossbeam_channel::bounded` (never `unbounded`), and
// `std::thread` and `std::sync::Arc` to start the stages and share `f`.

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
    // TODO: panic here, on the caller's thread, if `workers` or `capacity`
    // is 0.
    // TODO: start a producer thread that pulls `input` one item at a time
    // and sends it into a bounded channel; `workers` threads that take
    // items, apply `f` and pass the results on; and a way to hand the
    // results out in input order through the receiver you return.
    // TODO: every thread must end when its input channel disconnects (the
    // stage before it is done) or when a send fails (the stage after it,
    // and in the end the consumer, has gone).
    let _ = (input, f, workers, capacity);
    todo!()
}
