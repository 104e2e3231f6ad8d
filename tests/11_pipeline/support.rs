//! Helpers shared by the hidden tests of exercise 11: inputs that count how
//! much the pipeline pulled, reading with a deadline, a gate, and the thread
//! census.
//!
//! Every closure handed to `pipeline` owns its state through an `Arc`, so a
//! broken pipeline whose threads outlive the test holds memory that is still
//! alive, and one wrong answer cannot crash the tests that come after it.

use crossbeam_channel::{Receiver, RecvTimeoutError};
use pipeline::pipeline;
use testkit::prelude::*;

/// Runs `pipeline(input, f, workers, capacity)` with a deadline: `pipeline`
/// itself must only start threads and return the receiver.
pub fn start<A, B, I, F>(input: I, f: F, workers: usize, capacity: usize) -> Receiver<B>
where
    I: IntoIterator<Item = A> + Send + 'static,
    A: Send + 'static,
    B: Send + 'static,
    F: Fn(A) -> B + Send + Sync + 'static,
{
    match within(GENEROUS, move || pipeline(input, f, workers, capacity)) {
        Some(rx) => rx,
        None => panic!(
            "pipeline(input, f, workers = {workers}, capacity = {capacity}) did not return within {} s. It must \
             start its threads and hand back the receiver at once; the work happens on those threads while the \
             caller reads. Pulling the whole input (or sending into a bounded channel) on the caller's thread \
             blocks the caller, and forever when the input is endless or nobody reads yet.",
            GENEROUS.as_secs()
        ),
    }
}

/// Reads until the receiver disconnects: `Ok(results)`. If it has not
/// disconnected by `timeout`, `Err(the results so far)`.
pub fn read_all<B>(rx: &Receiver<B>, timeout: Duration) -> Result<Vec<B>, Vec<B>> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    loop {
        match rx.recv_deadline(deadline) {
            Ok(b) => got.push(b),
            Err(RecvTimeoutError::Disconnected) => return Ok(got),
            Err(RecvTimeoutError::Timeout) => return Err(got),
        }
    }
}

/// Why a read of `expected` results stalled after `got` of them, in words.
pub fn stall_explanation(got: usize, expected: usize, timeout: Duration) -> String {
    if got >= expected {
        // Every result came and the stream did not end: a thread that keeps
        // a Sender alive never ends either.
        failing_means(Category::LeakedThread);
        format!(
            "all {expected} results arrived, but then recv() still blocked {} s later instead of reporting \
             the end: the receiver must disconnect after the last result, or a consumer that loops \
             `for r in rx` waits forever. A channel disconnects when its last Sender is dropped, so every \
             stage must drop its senders when it is done: a clone kept in pipeline() itself, or one moved \
             into a thread that waits for something that never comes, keeps the channel open",
            timeout.as_secs()
        )
    } else {
        format!(
            "only {got} of {expected} results arrived within {} s and the receiver never disconnected: \
             the pipeline is stuck. Look for a stage waiting on a channel that no one will ever send on \
             or close, or a cycle of full bounded channels each waiting for the other",
            timeout.as_secs()
        )
    }
}

/// Reads every result, up to a deadline, and fails with an explanation if
/// the receiver does not disconnect after `expected` results.
pub fn read_everything<B>(rx: &Receiver<B>, expected: usize) -> Vec<B> {
    match read_all(rx, GENEROUS) {
        Ok(got) => got,
        Err(got) => panic!("{}.", stall_explanation(got.len(), expected, GENEROUS)),
    }
}

/// An input that counts how many items have been pulled from it.
pub struct Counted<I> {
    inner: I,
    pulled: Arc<AtomicUsize>,
}

impl<I> Counted<I> {
    /// Wraps `inner`; `pulled` counts every call to `next` that returned an item.
    pub fn new(inner: I, pulled: &Arc<AtomicUsize>) -> Self {
        Counted { inner, pulled: pulled.clone() }
    }
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.pulled.fetch_add(1, Ordering::SeqCst);
        Some(item)
    }
}

/// Pulls past which [`endless`] stops handing out items without ending.
/// A correct pipeline never gets near it: nobody reads that far, and
/// backpressure holds the producer a few items ahead of the reader. It only
/// keeps a broken pipeline (one that ignores that its consumer has gone, or
/// buffers without bound) from eating memory for the rest of the test.
pub const ENDLESS_SAFETY_CAP: usize = 100_000;

/// 0, 1, 2, ... without end, for a pipeline that behaves. After
/// [`ENDLESS_SAFETY_CAP`] items, `next` blocks (for a minute) instead.
pub fn endless(pulled: &Arc<AtomicUsize>) -> impl Iterator<Item = u64> + Send + 'static {
    let pulled = pulled.clone();
    (0u64..).map_while(move |i| {
        if pulled.fetch_add(1, Ordering::SeqCst) >= ENDLESS_SAFETY_CAP {
            thread::sleep(Duration::from_secs(60));
            return None;
        }
        Some(i)
    })
}

/// A gate that starts closed. Threads wait for it to open, each up to a
/// deadline, so that a broken implementation can never hang them forever.
#[derive(Default)]
pub struct Gate {
    open: Mutex<bool>,
    opened: std::sync::Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the gate and wakes everyone waiting at it.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    /// Blocks until the gate opens or `deadline` passes; says whether it is open.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            open = self.opened.wait_timeout(open, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        *open
    }
}

/// Polls the census until the process is back to `before` threads, and
/// fails with an explanation if it is not within a deadline. `situation`
/// says what the test did; it is asked only then, so it can report counts
/// as they stand after the wait.
pub fn assert_no_thread_left<S: std::fmt::Display>(before: usize, situation: impl FnOnce() -> S) {
    if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
        let situation = situation();
        panic!(
            "{situation}; {} s later {} thread(s) the pipeline started were still alive. Dropping the receiver \
             must stop every stage: the stage that sends to the consumer sees its send fail and returns, \
             which drops its own receiver, so the stage before it sees its send fail, and so on back to the \
             producer. A thread that ignores a failed send (`let _ = tx.send(x);` and carry on), or that \
             waits on a channel some other thread keeps open, never ends.",
            GENEROUS.as_secs(),
            alive - before
        );
    }
}

/// The kernel ids of this process's threads now.
pub fn thread_ids() -> Vec<i32> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// Looks at each thread in `tids` every few milliseconds for `window` and
/// returns, per thread still alive, how many looks found it running or
/// ready to run (`R`) and how many looks there were. A thread blocked on a
/// channel, a lock or a sleep is `S`; a thread in a polling loop is `R`
/// almost every time, however little CPU a crowded machine gives it
/// (a loop that calls `yield_now` may get next to none, yet it never
/// sleeps).
pub fn runnable_looks(tids: &[i32], window: Duration) -> Vec<(i32, usize, usize)> {
    let mut looks: Vec<(i32, usize, usize)> = tids.iter().map(|&t| (t, 0, 0)).collect();
    let start = Instant::now();
    while start.elapsed() < window {
        for (tid, runnable, total) in looks.iter_mut() {
            if let Some(state) = thread_state(*tid) {
                *total += 1;
                *runnable += usize::from(state == 'R');
            }
        }
        thread::sleep(Duration::from_millis(5));
    }
    looks.retain(|&(_, _, total)| total > 0);
    looks
}
