//! Observing concurrency without trusting the clock.
//!
//! The machines that run these tests are small (2 cores) and busy. A test
//! that asserts "this took under 1 s" or "the parallel run was 1.5x faster"
//! fails on a loaded machine even for correct code. Instead:
//!
//! * "these calls ran at the same time": every call waits at a
//!   [`Rendezvous`] for all the others, with a generous timeout. If they
//!   all arrive, they overlapped; a sequential implementation can never get
//!   them all there.
//! * "no thread was left behind": [`wait_for_thread_count`] polls the
//!   process's thread census until it is back to the baseline, up to a
//!   deadline.
//! * "this wait does not spin": a [`CpuMeter`] reads the process's CPU time
//!   around the wait; a blocked thread costs none.
//! * "at most N at once": a [`Gauge`] keeps the high-water mark of
//!   concurrent occupants.
//! * everything that could hang runs [`within`] a deadline, so a broken
//!   implementation fails with an explanation instead of a timeout.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The deadline for things that take microseconds on a healthy machine: long
/// enough that a loaded 2-core machine never misses it with correct code.
pub const GENEROUS: Duration = Duration::from_secs(5);

/// How many threads this process has now (Linux: entries of `/proc/self/task`).
pub fn thread_count() -> usize {
    match std::fs::read_dir("/proc/self/task") {
        Ok(dir) => dir.count(),
        Err(e) => panic!("cannot count threads: /proc/self/task is unreadable ({e}); the hidden tests need Linux"),
    }
}

/// Polls the thread census until at most `at_most` threads are alive.
/// `Err(n)` carries the count still alive at the deadline.
pub fn wait_for_thread_count(at_most: usize, timeout: Duration) -> Result<(), usize> {
    let deadline = Instant::now() + timeout;
    loop {
        let n = thread_count();
        if n <= at_most {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(n);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The CPU time (user + system) used so far by every thread of this process.
pub fn process_cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the struct we hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            panic!("getrusage failed: {}", std::io::Error::last_os_error());
        }
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Measures the CPU time the whole process spends over a stretch of wall
/// time. Used to prove that waiting threads block instead of spinning: a
/// blocked thread costs no CPU however long it waits.
pub struct CpuMeter {
    cpu: Duration,
    wall: Instant,
}

impl CpuMeter {
    /// Starts measuring now.
    pub fn start() -> Self {
        CpuMeter { cpu: process_cpu_time(), wall: Instant::now() }
    }

    /// `(cpu, wall)` spent since [`start`](Self::start).
    pub fn read(&self) -> (Duration, Duration) {
        (process_cpu_time().saturating_sub(self.cpu), self.wall.elapsed())
    }

    /// CPU time since the start as a fraction of one core over the elapsed
    /// wall time (0.0: everyone slept; 1.0: one core busy the whole time).
    pub fn cores_used(&self) -> f64 {
        let (cpu, wall) = self.read();
        cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9)
    }
}

/// A meeting point for `parties` threads. [`arrive`](Self::arrive) returns
/// `true` once all of them are there at the same time, or `false` if the
/// timeout passed first. After one timeout the rendezvous stays broken and
/// every later arrival returns `false` at once, so a sequential
/// implementation costs one timeout, not one per call.
pub struct Rendezvous {
    parties: usize,
    timeout: Duration,
    state: Mutex<RendezvousState>,
    all_here: Condvar,
}

struct RendezvousState {
    arrived: usize,
    max_arrived: usize,
    broken: bool,
}

impl Rendezvous {
    /// A rendezvous for `parties` threads that gives up after `timeout`.
    pub fn new(parties: usize, timeout: Duration) -> Self {
        Rendezvous {
            parties,
            timeout,
            state: Mutex::new(RendezvousState { arrived: 0, max_arrived: 0, broken: false }),
            all_here: Condvar::new(),
        }
    }

    /// Waits until all parties have arrived (`true`) or the timeout passed
    /// or already passed for someone else (`false`).
    pub fn arrive(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.broken {
            return false;
        }
        s.arrived += 1;
        s.max_arrived = s.max_arrived.max(s.arrived);
        if s.arrived >= self.parties {
            self.all_here.notify_all();
            return true;
        }
        let deadline = Instant::now() + self.timeout;
        while s.arrived < self.parties && !s.broken {
            let now = Instant::now();
            if now >= deadline {
                s.broken = true;
                self.all_here.notify_all();
                return false;
            }
            s = self.all_here.wait_timeout(s, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        s.arrived >= self.parties
    }

    /// The most parties that were waiting here at the same time.
    pub fn max_arrived(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).max_arrived
    }

    /// Whether some arrival gave up waiting.
    pub fn is_broken(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).broken
    }
}

/// Counts how many threads are inside a region at once and remembers the
/// most there ever were.
#[derive(Default)]
pub struct Gauge {
    current: AtomicUsize,
    max: AtomicUsize,
}

/// Leaves the [`Gauge`] when dropped.
pub struct GaugeGuard<'a>(&'a Gauge);

impl Gauge {
    /// A gauge with nobody inside.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enters the region; the guard leaves it.
    pub fn enter(&self) -> GaugeGuard<'_> {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        GaugeGuard(self)
    }

    /// How many are inside now.
    pub fn current(&self) -> usize {
        self.current.load(Ordering::SeqCst)
    }

    /// The most that were ever inside at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Polls `condition` (every millisecond) until it holds or `timeout` passes;
/// says whether it held.
pub fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

static CALL_LEFT_RUNNING: AtomicBool = AtomicBool::new(false);

/// Whether a [`within`] call gave up on its function during this test: the
/// learner's code is still running somewhere, and the harness shows where
/// when the test fails.
pub fn a_call_was_left_running() -> bool {
    CALL_LEFT_RUNNING.load(Ordering::SeqCst)
}

/// Forgets calls left running (between tests run in one process).
pub(crate) fn forget_calls_left_running() {
    CALL_LEFT_RUNNING.store(false, Ordering::SeqCst);
}

/// Runs `f` on a new thread (named `within`) and waits up to `timeout` for
/// it. `Some(result)` if it finished; `None` if it is still running at the
/// deadline (it is left behind, blocked: the test is about to fail anyway).
/// A panic inside `f` is passed on to the caller.
///
/// Note for census tests: this thread exists while `f` runs.
pub fn within<T: Send + 'static>(timeout: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("within".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(result);
        })
        .expect("could not start a thread");
    match rx.recv_timeout(timeout) {
        Ok(Ok(value)) => {
            let _ = handle.join();
            Some(value)
        }
        Ok(Err(panic)) => {
            let _ = handle.join();
            std::panic::resume_unwind(panic)
        }
        Err(_) => {
            CALL_LEFT_RUNNING.store(true, Ordering::SeqCst);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn rendezvous_releases_all_parties_together() {
        let r = Arc::new(Rendezvous::new(4, GENEROUS));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || r.arrive())
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap()));
        assert_eq!(r.max_arrived(), 4);
    }

    #[test]
    fn rendezvous_breaks_once_and_then_refuses_quickly() {
        let r = Rendezvous::new(2, Duration::from_millis(20));
        assert!(!r.arrive());
        assert!(r.is_broken());
        let t = Instant::now();
        assert!(!r.arrive());
        assert!(t.elapsed() < Duration::from_millis(20));
    }

    #[test]
    fn census_sees_a_thread_come_and_go() {
        let before = thread_count();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let h = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        assert!(thread_count() > before);
        drop(tx);
        h.join().unwrap();
        assert_eq!(wait_for_thread_count(before, GENEROUS), Ok(()));
    }

    #[test]
    fn a_spinning_thread_shows_in_cpu_time() {
        // Only the spinning half can be checked here: libtest runs these unit
        // tests in parallel in one process, and process CPU time counts them
        // all. (Hidden tests run one per process, where both halves hold.)
        let meter = CpuMeter::start();
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(100) {
            std::hint::spin_loop();
        }
        assert!(meter.read().0 > Duration::from_millis(10));
    }

    #[test]
    fn within_returns_value_or_gives_up() {
        assert_eq!(within(GENEROUS, || 7), Some(7));
        assert_eq!(within(Duration::from_millis(10), || std::thread::sleep(Duration::from_secs(60))), None);
    }

    #[test]
    fn gauge_keeps_high_water_mark() {
        let g = Gauge::new();
        let a = g.enter();
        let b = g.enter();
        drop(a);
        drop(b);
        let _c = g.enter();
        assert_eq!((g.current(), g.max()), (1, 2));
    }
}
