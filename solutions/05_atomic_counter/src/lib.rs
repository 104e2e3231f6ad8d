//! Exercise 05: the shared counter of exercise 04, built on atomics.
//!
//! Reference solution. There is no lock: every change to the number is one
//! atomic read-modify-write instruction, which the processor carries out as
//! a single step that no other thread can cut in two.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A counter shared between threads, built on atomics (no lock of any kind).
/// Send + Sync + Default.
///
/// `AtomicUsize` is `Send + Sync` and its `Default` is 0, so deriving
/// `Default` and the auto traits do the rest, as the Mutex did in 04.
#[derive(Debug, Default)]
pub struct AtomicCounter {
    n: AtomicUsize,
}

/// Every operation uses `Relaxed`. Ordering is about what a thread may see
/// of *other* memory around an atomic operation; it never weakens the
/// atomicity of the operation itself. All operations on one atomic variable
/// happen in a single order that every thread agrees on, and each
/// read-modify-write starts from the latest value in that order, so no
/// increment can be lost whatever the ordering. A lone counter publishes
/// nothing else through its value (no "the count is 5, so slot 5 of that
/// array is filled"), so there is nothing else to order. If it ever did,
/// the writer would need `Release` and the reader `Acquire`.
const ORDER: Ordering = Ordering::Relaxed;

impl AtomicCounter {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn increment(&self) {
        // Not `let v = self.n.load(..); self.n.store(v + 1, ..)`: each of those
        // two calls is atomic, but the pair is not. Another thread can store
        // between them, and our store then erases its increment.
        self.n.fetch_add(1, ORDER);
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        self.n.fetch_add(n, ORDER);
    }

    /// The current value.
    pub fn value(&self) -> usize {
        // A plain atomic load. Like `value()` in 04, the answer may be out of
        // date as soon as it is returned, which is why `increment_below` must
        // not decide on it. (One thread's successive loads of one atomic never
        // go backwards, even with Relaxed.)
        self.n.load(ORDER)
    }

    /// Adds one only if the value is below `limit`, and says whether it did.
    /// The check and the increment are one indivisible step.
    pub fn increment_below(&self, limit: usize) -> bool {
        // There is no single instruction for "add one if below limit", so we
        // build it from compare_exchange: "if the value is still `current`,
        // make it `current + 1`". Checking `current < limit` and then
        // exchanging is indivisible as a whole, because the exchange succeeds
        // only if nobody changed the value since we read it; if somebody did,
        // we learn the new value and decide again. Giving up on the first
        // failed exchange would be wrong: failing only means we were
        // overtaken, not that the limit was reached.
        //
        // `self.n.fetch_update(ORDER, ORDER, |v| (v < limit).then(|| v + 1)).is_ok()`
        // is exactly this loop, written by the standard library.
        let mut current = self.n.load(ORDER);
        loop {
            if current >= limit {
                return false;
            }
            // `_weak` may fail even when the value matched (on some
            // processors); inside a loop that costs one more turn, and it can
            // be cheaper than the strong version.
            match self.n.compare_exchange_weak(current, current + 1, ORDER, ORDER) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }
}
