//! Schedule exploration for exercise 04: the learner's Counter, rebuilt on
//! shuttle's Mutex and threads (see `xtask/src/engine/explore.rs`), run under
//! thousands of chosen interleavings.
//!
//! A lost update or a check-then-act lives between two lock acquisitions:
//! one thread lets go of the lock half-way through an operation and another
//! gets in before it takes the lock back. Real threads land there only when
//! the operating system happens to switch at that very point; shuttle may
//! switch at every lock, so it finds the window within a few schedules, and
//! finds it again on every run. Each execution is kept small (two or three
//! threads, two calls each) so that one execution is cheap and an exact
//! final value can be asserted.
//!
//! Each test first makes the same calls on one thread, declared as a wrong
//! result: a counter that is wrong without any race (an `add` that ignores
//! its amount, a limit compared with `<=`) is told so, not told it races.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p counter_tests`.

use counter::Counter;
use shuttle::sync::Arc;
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// Runs `work(counter, i)` on `threads` threads, the `i`th of them with
/// `i`, all on one new counter, and returns the counter and what each
/// thread's `work` returned, in thread order.
fn on_threads<T: Send + 'static>(
    threads: usize,
    work: impl Fn(&Counter, usize) -> T + Send + Sync + 'static,
) -> (Arc<Counter>, Vec<T>) {
    let counter = Arc::new(Counter::new());
    let work = Arc::new(work);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (counter, work) = (counter.clone(), work.clone());
            shuttle::thread::spawn(move || work(&counter, i))
        })
        .collect();
    let made = handles.into_iter().map(|h| h.join().expect("a thread calling the counter panicked")).collect();
    (counter, made)
}

/// Three threads, two `increment()` each: the value must be 6.
fn increments_add_up() {
    failing_means(Category::WrongResult);
    let alone = Counter::new();
    (0..6).for_each(|_| alone.increment());
    let v = alone.value();
    assert_eq!(v, 6, "even on one thread, with no race, six increment() calls left value() at {v}, not 6");

    failing_means(Category::LostUpdate);
    let (counter, _) = on_threads(3, |c, _| {
        c.increment();
        c.increment();
    });
    let v = counter.value();
    assert_eq!(v, 6, "3 threads called increment() twice each on a new counter, so the value must be 6, but it is {v}");
}

/// What thread `i` adds: distinct powers of two, so the final value says
/// exactly which `add` calls were lost.
const AMOUNTS: [[usize; 2]; 2] = [[1, 2], [4, 8]];

/// Two threads, two `add(n)` each with amounts 1, 2, 4 and 8: the value
/// must be 15.
fn adds_add_up() {
    let want: usize = AMOUNTS.iter().flatten().sum();
    failing_means(Category::WrongResult);
    let alone = Counter::new();
    AMOUNTS.iter().flatten().for_each(|&n| alone.add(n));
    let v = alone.value();
    assert_eq!(
        v, want,
        "even on one thread, with no race, add(1), add(2), add(4), add(8) left value() at {v}, not {want}"
    );

    failing_means(Category::LostUpdate);
    let (counter, _) = on_threads(AMOUNTS.len(), |c, i| AMOUNTS[i].iter().for_each(|&n| c.add(n)));
    let v = counter.value();
    let lost: Vec<usize> = AMOUNTS.iter().flatten().copied().filter(|&n| v & n == 0).collect();
    assert_eq!(
        v, want,
        "one thread called add(1) then add(2), another add(4) then add(8), on a new counter, so the value must be \
         {want}, but it is {v} (the add of {lost:?} looks lost)"
    );
}

const LIMIT: usize = 2;

/// Three threads, two `increment_below(2)` each: exactly two calls in all
/// say `true`, and the value ends at 2.
fn increments_below_stop_at_the_limit() {
    failing_means(Category::WrongResult);
    let alone = Counter::new();
    let said: Vec<bool> = (0..LIMIT + 2).map(|_| alone.increment_below(LIMIT)).collect();
    let v = alone.value();
    assert!(
        v == LIMIT && said == [true, true, false, false],
        "even on one thread, with no race, four increment_below({LIMIT}) calls on a new counter said {said:?} and \
         left value() at {v}, not [true, true, false, false] and {LIMIT}"
    );

    failing_means(Category::CheckThenAct);
    let (counter, said) = on_threads(3, |c, _| [c.increment_below(LIMIT), c.increment_below(LIMIT)]);
    let v = counter.value();
    let yes = said.iter().flatten().filter(|&&b| b).count();
    assert!(
        v == LIMIT && yes == LIMIT,
        "3 threads called increment_below({LIMIT}) twice each on a new counter, so exactly {LIMIT} calls may say \
         true and the value must end at {LIMIT}, but {yes} said true ({said:?}) and the value is {v}"
    );
}

hidden_tests! {
    fn explored_concurrent_increments_are_never_lost() {
        failing_means(Category::LostUpdate);
        explore(
            "counter",
            "explored_concurrent_increments_are_never_lost",
            Budget::default(),
            "every increment() must count, whatever the order in which the threads run. `n += 1` is a read, an \
             add and a write; if increment() reads the number under one lock() and writes it back under \
             another, a thread that runs between the two reads the same old number, and the second write-back \
             erases the first: a lost update. Take the lock once and do the whole read-add-write through that \
             one MutexGuard (*self.n.lock().unwrap() += 1).",
            increments_add_up,
        );
    }

    fn explored_concurrent_adds_are_never_lost() {
        failing_means(Category::LostUpdate);
        explore(
            "counter",
            "explored_concurrent_adds_are_never_lost",
            Budget::default(),
            "every add(n) must count, whatever the order in which the threads run. Reading the value (with \
             value(), or a first lock()) and then storing the sum under a second lock() leaves a gap in which \
             another thread's add lands, and the stale sum written afterwards wipes it out. Add under the same \
             guard you read with: *self.n.lock().unwrap() += n.",
            adds_add_up,
        );
    }

    fn explored_increment_below_never_passes_the_limit() {
        failing_means(Category::CheckThenAct);
        explore(
            "counter",
            "explored_increment_below_never_passes_the_limit",
            Budget::default(),
            "increment_below(limit) must never take the value past limit, and exactly as many calls as it \
             allows must say true, whatever the order in which the threads run. If the check (value() < limit) \
             and the increment happen under two separate lock acquisitions, two threads can both see limit - 1, \
             both decide to go ahead, and both add one. Check and increment through one MutexGuard: let mut n = \
             self.n.lock().unwrap(); if *n < limit { *n += 1; true } else { false }.",
            increments_below_stop_at_the_limit,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
