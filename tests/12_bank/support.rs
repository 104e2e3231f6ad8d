//! Helpers shared by the test groups of exercise 12: a deadline for single
//! calls, and rounds of worker threads watched for deadlock.
//!
//! A bank that deadlocks leaves threads blocked forever, and a blocked
//! thread cannot be stopped. So the workers of a round are ordinary spawned
//! threads (not scoped ones, whose scope would wait for them), and the test
//! watches how many calls they make. When no call has returned for
//! [`STALL`], the round is declared stuck: the test fails with an
//! explanation, the stuck threads are abandoned, and the test process (one
//! per test under `cargo xtask check`) ends them when it exits.

use bank::{Bank, TransferError};
use std::sync::mpsc;
use testkit::prelude::*;

/// How long a stress test keeps starting rounds before it settles for the
/// ones it has done. A correct bank finishes its whole round budget well
/// within this; the cap is for correct banks that are much slower per call
/// on a busy machine. It never turns a pass into a failure: every check is
/// an exact count of the calls that were actually made.
pub const EFFORT: Duration = Duration::from_secs(3);

/// No call returning for this long means the threads are stuck. A correct
/// transfer takes microseconds; even on a crowded machine a thread is not
/// kept off every core for seconds.
pub const STALL: Duration = Duration::from_secs(3);

/// What a deadlock between several calls means, and the fix.
pub const LOCK_ORDER_ADVICE: &str = "When calls take more than one lock each, they must all take them in one \
    fixed order: if one transfer locks account 0 and then waits for 1 while another holds 1 and waits for 0 (a \
    transfer that locks its `from` account first does this), or total() locks from the last account down while \
    transfers lock upwards, each holds a lock the other waits for and neither ever goes on. Take the locks lowest \
    index first, in transfer and in total alike, and never wait for a lock below one you hold.";

/// Runs `f` on a thread of its own and gives it `limit` to finish. A bank
/// method that never returns on a quiet bank is almost always waiting for a
/// lock its own thread already holds, so that is what the failure explains.
pub fn finishes<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    match within(limit, f) {
        Some(value) => value,
        None => {
            failing_means(Category::Deadlock);
            panic!(
                "{what} did not return within {} s, with no other thread using the bank: the call is stuck, most \
                 likely waiting for a lock that its own thread already holds. std's Mutex is not re-entrant: \
                 locking the same account twice (a transfer from an account to itself, or a method that calls \
                 another locking method while it holds a guard) waits forever. Check `from == to` before taking \
                 any lock, and never lock an account you already hold.",
                limit.as_secs()
            )
        }
    }
}

/// The bank call a worker thread is making, recorded before each call so
/// that a stuck round can say where every thread was stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Between calls, or finished.
    Nothing,
    /// `transfer(from, to, amount)`.
    Transfer(usize, usize, u64),
    /// `total()`.
    Total,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Call::Nothing => write!(f, "no call"),
            Call::Transfer(from, to, amount) => write!(f, "transfer({from}, {to}, {amount})"),
            Call::Total => write!(f, "total()"),
        }
    }
}

/// What every worker of a round shares.
struct Shared {
    bank: Arc<Bank>,
    calls: AtomicUsize,
    stop: AtomicBool,
    doing: Vec<Mutex<Call>>,
}

/// What one worker thread of a round gets: its index and the bank, through
/// methods that count each call so the watchdog sees progress.
pub struct Worker {
    /// 0 for the first thread of the round, 1 for the next, ...
    pub index: usize,
    shared: Arc<Shared>,
}

impl Worker {
    /// False once the test's effort budget is spent: the worker should stop
    /// and report the calls it made.
    pub fn go_on(&self) -> bool {
        !self.shared.stop.load(Ordering::Relaxed)
    }

    fn call<T>(&self, call: Call, f: impl FnOnce(&Bank) -> T) -> T {
        // Each worker locks only its own slot, and the watchdog only after the
        // round stalled: this costs little and never blocks a worker.
        *self.shared.doing[self.index].lock().unwrap() = call;
        let result = f(&self.shared.bank);
        *self.shared.doing[self.index].lock().unwrap() = Call::Nothing;
        self.shared.calls.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// `bank.transfer(from, to, amount)`, counted.
    pub fn transfer(&self, from: usize, to: usize, amount: u64) -> Result<(), TransferError> {
        self.call(Call::Transfer(from, to, amount), |b| b.transfer(from, to, amount))
    }

    /// `bank.total()`, counted.
    pub fn total(&self) -> u64 {
        self.call(Call::Total, |b| b.total())
    }
}

/// Why a round did not finish.
#[derive(Debug)]
pub enum RoundFailure {
    /// No call returned for [`STALL`]: `stuck` lists each thread that had
    /// not finished and the call it was inside.
    Stuck { calls: usize, stuck: Vec<(usize, Call)> },
    /// A worker panicked (inside the bank, or on a poisoned lock).
    Panicked { thread: usize, call: Call, message: String },
}

impl RoundFailure {
    /// One sentence on what was seen, for the test's failure message.
    pub fn observed(&self) -> String {
        match self {
            RoundFailure::Stuck { calls, stuck } => {
                let list: Vec<String> = stuck.iter().map(|(t, c)| format!("thread {t} inside {c}")).collect();
                format!(
                    "after {calls} calls had returned, no call returned for {} s: {} never came back",
                    STALL.as_secs(),
                    list.join(", ")
                )
            }
            RoundFailure::Panicked { thread, call, message } => {
                format!("thread {thread} panicked inside {call}: \"{message}\"")
            }
        }
    }

    /// Whether the threads got stuck (rather than panicked).
    pub fn is_stuck(&self) -> bool {
        matches!(self, RoundFailure::Stuck { .. })
    }
}

/// One round: `threads` workers released together by a `Barrier` onto
/// `bank`, each running `work`; their results in thread order, or why the
/// round failed.
///
/// While the round runs, the calling thread wakes every few microseconds to
/// watch the calls' progress. That also makes the OS take a CPU from
/// whichever worker is running at that moment, at a random point of its
/// call: on a busy machine that is what opens the windows a few instructions
/// wide in which the races and deadlocks these tests look for happen. It
/// raises the workers' stop flag once `deadline` has passed.
pub fn watched_round<R: Send + 'static>(
    bank: &Arc<Bank>,
    threads: usize,
    deadline: Instant,
    work: impl Fn(&Worker) -> R + Send + Sync + 'static,
) -> Result<Vec<R>, RoundFailure> {
    let shared = Arc::new(Shared {
        bank: bank.clone(),
        calls: AtomicUsize::new(0),
        stop: AtomicBool::new(Instant::now() >= deadline),
        doing: (0..threads).map(|_| Mutex::new(Call::Nothing)).collect(),
    });
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(threads));
    let (tx, rx) = mpsc::channel();
    for index in 0..threads {
        let (shared, work, start, tx) = (shared.clone(), work.clone(), start.clone(), tx.clone());
        thread::Builder::new()
            .name(format!("worker-{index}"))
            .spawn(move || {
                let worker = Worker { index, shared };
                start.wait();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&worker)));
                let _ = tx.send((index, result));
            })
            .expect("could not start a worker thread");
    }
    drop(tx);

    let mut results: Vec<Option<R>> = (0..threads).map(|_| None).collect();
    let mut finished = 0;
    let mut last_calls = 0;
    let mut last_progress = Instant::now();
    while finished < threads {
        match rx.recv_timeout(Duration::from_micros(20)) {
            Ok((index, Ok(r))) => {
                results[index] = Some(r);
                finished += 1;
            }
            Ok((index, Err(panic))) => {
                let call = *shared.doing[index].lock().unwrap_or_else(|e| e.into_inner());
                shared.stop.store(true, Ordering::Relaxed);
                return Err(RoundFailure::Panicked { thread: index, call, message: panic_text(panic.as_ref()) });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!("every worker sends its result"),
        }
        let now = Instant::now();
        if now >= deadline {
            shared.stop.store(true, Ordering::Relaxed);
        }
        let calls = shared.calls.load(Ordering::Relaxed);
        if calls != last_calls {
            (last_calls, last_progress) = (calls, now);
        } else if now.duration_since(last_progress) >= STALL {
            shared.stop.store(true, Ordering::Relaxed);
            let stuck = (0..threads)
                .filter(|&t| results[t].is_none())
                .map(|t| (t, *shared.doing[t].lock().unwrap_or_else(|e| e.into_inner())))
                .collect();
            return Err(RoundFailure::Stuck { calls, stuck });
        }
    }
    Ok(results.into_iter().map(|r| r.expect("every worker finished")).collect())
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic whose payload is not a string)".to_string()
    }
}

/// A small, fast, seeded random number generator (xorshift64*), so that the
/// workers' choices differ between threads and rounds but every run of the
/// suite makes the same ones.
pub struct Rng(u64);

impl Rng {
    /// A generator for one thread of one round.
    pub fn new(round: usize, thread: usize) -> Rng {
        Rng((round as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (thread as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03)
            | 1)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % n
    }

    /// Two different accounts of `n`, in random order.
    pub fn two_accounts(&mut self, n: usize) -> (usize, usize) {
        let a = self.below(n as u64) as usize;
        let b = (a + 1 + self.below(n as u64 - 1) as usize) % n;
        (a, b)
    }
}

/// The balances of every account, read one at a time (for use once no
/// thread is using the bank).
pub fn balances(bank: &Bank, accounts: usize) -> Vec<Option<u64>> {
    (0..accounts).map(|a| bank.balance(a)).collect()
}
