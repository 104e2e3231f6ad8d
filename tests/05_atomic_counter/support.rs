//! Helpers shared by the test groups of exercise 05 (adapted from exercise
//! 04's, which test the same API on a Mutex counter).

use atomic_counter::AtomicCounter;
use testkit::prelude::*;

/// How long a stress test or a concurrent property keeps going before it
/// settles for the rounds it has done. An atomic counter finishes its whole
/// budget in well under a second; this cap is for a correct counter that is
/// much slower per call (say, a compare_exchange loop that backs off by
/// yielding) on a busy machine: it runs fewer rounds instead of timing out.
/// It never turns a pass into a failure: every check below is an exact count
/// of the calls that were actually made.
pub const EFFORT: Duration = Duration::from_secs(4);

/// Runs `f` on a thread of its own and gives it `limit` to finish. Nothing
/// in an atomic counter waits for anything, so a method that never returns
/// is a loop that never ends, and that is what the failure explains.
pub fn finishes<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    match within(limit, f) {
        Some(value) => value,
        None => {
            // A compare_exchange loop that decides once, on a value it read
            // before the loop, and never again: the check-then-act slip.
            failing_means(Category::CheckThenAct);
            panic!(
                "{what} did not finish within {} s: an AtomicCounter method never returned. Atomic operations \
                 never wait, so this is a loop that never ends, most likely a compare_exchange loop that retries \
                 with the value it read before the loop. When compare_exchange fails it returns Err(actual), the \
                 value another thread just stored: check that value against the limit and try again with it, \
                 or use fetch_update, which does exactly this.",
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
    pub counter: &'a AtomicCounter,
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
    pub fn repeat(&self, times: usize, mut op: impl FnMut(&AtomicCounter)) -> usize {
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
/// A racy counter goes wrong when two workers run at the same moment on two
/// cores, or when a worker is interrupted inside a window a few
/// instructions wide while another one runs. On a busy machine the first is
/// rare and the OS interrupts a thread only every few milliseconds, so a
/// "jostler" thread runs beside the workers: it wakes every few
/// microseconds, which makes the OS take a CPU from whichever worker is
/// running at that moment, at a random point of its work. It never touches
/// the counter and costs a few percent of one core. It also raises the
/// workers' stop flag once `deadline` has passed.
///
/// With `Placement::OneCpu`, the workers and the jostler are all pinned to
/// one CPU. Then no two workers ever run at the same moment, and every
/// interleaving comes from a worker being switched out at a random point of
/// its work. Stress tests alternate the two placements (see
/// [`Placement::for_round`]), so that a race that shows more readily in one
/// of them is not missed.
pub fn barrier_round<R: Send>(
    threads: usize,
    deadline: Instant,
    placement: Placement,
    work: &(impl Fn(&Worker<'_>) -> R + Sync),
) -> (AtomicCounter, Vec<R>) {
    let pin = move || {
        if let Placement::OneCpu(cpu) = placement {
            // If the kernel refuses, the round runs unpinned: still a valid
            // round, only a less searching one.
            threads::pin_current_thread(cpu);
        }
    };
    let counter = AtomicCounter::new();
    let start = Barrier::new(threads);
    let stop = AtomicBool::new(Instant::now() >= deadline);
    let workers_done = AtomicBool::new(false);
    let results = thread::scope(|s| {
        let jostler = s.spawn(|| {
            pin();
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
                    pin();
                    start.wait();
                    work(&worker)
                })
            })
            .collect();
        let joined: Vec<thread::Result<R>> = handles.into_iter().map(|h| h.join()).collect();
        workers_done.store(true, Ordering::Relaxed);
        let _ = jostler.join();
        // A worker's panic (say, an overflow in the code under test) reaches
        // the test only now, after the jostler has stopped and the scope can
        // end.
        joined.into_iter().map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    (counter, results)
}

/// Where the threads of a round run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Wherever the OS puts them.
    Anywhere,
    /// All on this CPU.
    OneCpu(usize),
}

impl Placement {
    /// Every other round on one CPU (taking the allowed CPUs in turn), the
    /// others anywhere: races of both kinds get their chance.
    pub fn for_round(round: usize) -> Placement {
        let cpus = threads::allowed_cpus();
        if round % 2 == 1 || cpus.len() < 2 {
            return Placement::Anywhere;
        }
        Placement::OneCpu(cpus[(round / 2) % cpus.len()])
    }
}

/// Runs up to `rounds` barrier-started rounds (placed by
/// [`Placement::for_round`]) and stops at the first one whose `check` fails,
/// returning its explanation. A correct counter runs every round (or as
/// many as fit in [`EFFORT`]); a racy one is usually caught within a few
/// (see `stress.rs` for the figures), and the budget leaves a wide margin
/// for unlucky scheduling.
pub fn first_bad_round<R: Send>(
    rounds: usize,
    threads: usize,
    work: impl Fn(&Worker<'_>) -> R + Sync,
    mut check: impl FnMut(&AtomicCounter, Vec<R>) -> Result<(), String>,
) -> Result<(), String> {
    let deadline = Instant::now() + EFFORT;
    for round in 1..=rounds {
        let (counter, results) = barrier_round(threads, deadline, Placement::for_round(round), &work);
        if let Err(why) = check(&counter, results) {
            return Err(format!("in round {round}: {why}"));
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    Ok(())
}
