//! Helpers shared by the test groups of exercise 04.

use counter::Counter;
use testkit::prelude::*;

/// How long a stress test or a concurrent property keeps going before it
/// settles for the rounds it has done. A Mutex counter finishes its whole
/// budget in well under a second; this cap is for correct counters that are
/// much slower per call (say, a thread that owns the number and answers
/// messages) on a busy machine: they run fewer rounds instead of timing out.
/// It never turns a pass into a failure: every check below is an exact count
/// of the calls that were actually made.
pub const EFFORT: Duration = Duration::from_secs(4);

/// Runs `f` on a thread of its own and gives it `limit` to finish. A counter
/// whose methods never return has almost always deadlocked on its own lock,
/// so that is what the failure explains.
pub fn finishes<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    match within(limit, f) {
        Some(value) => value,
        None => {
            failing_means(Category::Deadlock);
            panic!(
                "{what} did not finish within {} s: a Counter method is stuck, most likely waiting for a lock \
                 it already holds. std's Mutex is not re-entrant: a method that holds the guard and then calls \
                 another method that locks again (say `self.increment()` or `self.value()` from inside \
                 `increment_below`) waits for itself forever. Do the whole step with the one guard you hold.",
                limit.as_secs()
            )
        }
    }
}

/// What one worker thread of a round gets: its index, the shared counter,
/// and whether to keep going.
pub struct Worker<'a> {
    /// 0 for the first thread of the round, 1 for the next, ...
    pub index: usize,
    /// The counter every worker of the round shares.
    pub counter: &'a Counter,
    stop: &'a AtomicBool,
}

impl Worker<'_> {
    /// False once the test's effort budget is spent: the worker should stop
    /// after the call it is making and report how many it made.
    pub fn go_on(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    /// Calls `op` up to `times` times, fewer if the effort budget runs out,
    /// and says how many calls it made.
    pub fn repeat(&self, times: usize, mut op: impl FnMut(&Counter)) -> usize {
        let mut made = 0;
        while made < times && self.go_on() {
            op(self.counter);
            made += 1;
        }
        made
    }
}

/// One round of a stress test: `threads` threads are released together by a
/// `Barrier` onto a fresh counter, each runs `work`, and the per-thread
/// results come back in thread order with the counter.
///
/// A racy counter goes wrong only when a thread is interrupted inside a
/// window a few instructions wide, and on a busy machine the OS interrupts a
/// thread only every few milliseconds. So a "jostler" thread runs beside the
/// workers: it wakes every few microseconds, which makes the OS take a CPU
/// from whichever worker is running at that moment, at a random point of its
/// work. It never touches the counter and costs a few percent of one core.
/// It also raises the workers' stop flag once `deadline` has passed.
pub fn barrier_round<R: Send>(
    threads: usize,
    deadline: Instant,
    work: &(impl Fn(&Worker<'_>) -> R + Sync),
) -> (Counter, Vec<R>) {
    let counter = Counter::new();
    let start = Barrier::new(threads);
    let stop = AtomicBool::new(Instant::now() >= deadline);
    let workers_done = AtomicBool::new(false);
    let results = thread::scope(|s| {
        let jostler = s.spawn(|| {
            while !workers_done.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_micros(10));
                if Instant::now() >= deadline {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        });
        let handles: Vec<_> = (0..threads)
            .map(|index| {
                let worker = Worker { index, counter: &counter, stop: &stop };
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    work(&worker)
                })
            })
            .collect();
        let joined: Vec<thread::Result<R>> = handles.into_iter().map(|h| h.join()).collect();
        workers_done.store(true, Ordering::Relaxed);
        let _ = jostler.join();
        // A worker's panic (say, a poisoned lock unwrapped) reaches the test
        // only now, after the jostler has stopped and the scope can end.
        joined.into_iter().map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    (counter, results)
}

/// Runs up to `rounds` barrier-started rounds and stops at the first one
/// whose `check` fails, returning its explanation. A correct counter runs
/// every round (or as many as fit in [`EFFORT`]); a racy one is usually
/// caught within a few, and the budget leaves a wide margin for unlucky
/// scheduling.
pub fn first_bad_round<R: Send>(
    rounds: usize,
    threads: usize,
    work: impl Fn(&Worker<'_>) -> R + Sync,
    mut check: impl FnMut(&Counter, Vec<R>) -> Result<(), String>,
) -> Result<(), String> {
    let deadline = Instant::now() + EFFORT;
    for round in 1..=rounds {
        let (counter, results) = barrier_round(threads, deadline, &work);
        if let Err(why) = check(&counter, results) {
            return Err(format!("in round {round}: {why}"));
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    Ok(())
}
