//! Helpers shared by the hidden tests of exercise 09.
//!
//! Every `fetch` these tests hand to `fetch_all` owns its state through an
//! `Arc`, so that a broken `fetch_all` whose threads outlive the call cannot
//! reach freed memory and crash the tests that come after it. Every wait
//! inside a `fetch` has a deadline, so nothing hangs for good.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use testkit::prelude::*;

/// `n` distinct urls, in order; [`index_of`] reads the index back.
pub fn urls(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("https://example.com/page/{i}")).collect()
}

/// The index of a url made by [`urls`], if it is one.
pub fn index_of(url: &str) -> Option<usize> {
    url.strip_prefix("https://example.com/page/")?.parse().ok()
}

/// What a call of `fetch_all` did, seen from outside.
pub enum Run<R> {
    /// It returned this.
    Returned(R),
    /// It panicked with this message.
    Panicked(String),
    /// It was still running at the deadline.
    DidNotReturn,
}

/// Calls `fetch_all(&urls, max_in_flight, fetch)` on a helper thread and
/// waits up to `timeout` for it.
pub fn run_fetch_all<T, E, F>(
    timeout: Duration,
    urls: Vec<String>,
    max_in_flight: usize,
    fetch: F,
) -> Run<Vec<Result<T, E>>>
where
    F: Fn(&str) -> Result<T, E> + Sync + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let outcome = within(timeout, move || {
        let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fetch_all::fetch_all(&refs, max_in_flight, fetch)
        }));
        result.map_err(|payload| {
            if let Some(s) = payload.downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "(a panic whose payload is not a string)".to_string()
            }
        })
    });
    match outcome {
        None => Run::DidNotReturn,
        Some(Ok(results)) => Run::Returned(results),
        Some(Err(message)) => Run::Panicked(message),
    }
}

impl<R> Run<R> {
    /// The returned value, or a panic that explains what happened instead
    /// (and declares what that failure means).
    /// `call` describes the call ("fetch_all with 10 urls and max_in_flight
    /// 3"), `timeout_note` why it should have returned in time.
    pub fn expect_returned(self, call: &str, timeout_note: &str) -> R {
        match self {
            Run::Returned(r) => r,
            Run::Panicked(message) => {
                failing_means(Category::Panic);
                panic!(
                    "{call} panicked: \"{message}\". fetch_all must panic only when max_in_flight is 0; with \
                     at least one slot it fetches every url and returns their results."
                )
            }
            Run::DidNotReturn => {
                // Quick fetches and no result: a wait for something that
                // never comes (a queue nobody closes, a result nobody sends).
                failing_means(Category::Deadlock);
                panic!("{call} did not return in time: {timeout_note}")
            }
        }
    }
}

/// Compares results with what they should be, in order. `None` when equal;
/// otherwise a sentence on the first differences, and a declaration of what
/// the failure means: the right results in the wrong places are `Order`,
/// anything else is `WrongResult`.
pub fn order_mismatch<T: PartialEq + std::fmt::Debug, E: PartialEq + std::fmt::Debug>(
    expected: &[Result<T, E>],
    got: &[Result<T, E>],
) -> Option<String> {
    if expected == got {
        return None;
    }
    failing_means(if is_permutation(expected, got) { Category::Order } else { Category::WrongResult });
    if expected.len() != got.len() {
        return Some(format!("it returned {} results for {} urls", got.len(), expected.len()));
    }
    let wrong: Vec<String> = expected
        .iter()
        .zip(got)
        .enumerate()
        .filter(|(_, (e, g))| e != g)
        .take(4)
        .map(|(i, (e, g))| format!("position {i} holds {g:?} instead of {e:?}"))
        .collect();
    Some(wrong.join("; "))
}

/// Whether `got` holds exactly the items of `expected`, in any order.
fn is_permutation<R: PartialEq>(expected: &[R], got: &[R]) -> bool {
    let mut taken = vec![false; got.len()];
    expected.len() == got.len()
        && expected.iter().all(|e| match (0..got.len()).find(|&j| !taken[j] && got[j] == *e) {
            Some(j) => {
                taken[j] = true;
                true
            }
            None => false,
        })
}

/// How many times each string occurs.
pub fn tally<'a>(items: impl IntoIterator<Item = &'a String>) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item.as_str()).or_insert(0) += 1;
    }
    counts
}

/// Compares the urls `fetch` was called with and the entries of the list, as
/// multisets. `None` when they match; otherwise a sentence per url (and a
/// declaration that the failure is a wrong result).
pub fn call_mismatch(expected: &[String], seen: &[String]) -> Option<String> {
    let want = tally(expected);
    let got = tally(seen);
    let mut problems = Vec::new();
    for (url, &n) in &want {
        let made = got.get(url).copied().unwrap_or(0);
        if made != n {
            problems.push(format!(
                "{url:?} is {n} entr{} of the list but was fetched {made} time(s)",
                if n == 1 { "y" } else { "ies" }
            ));
        }
    }
    for (url, &made) in &got {
        if !want.contains_key(url) {
            problems.push(format!("{url:?} was fetched {made} time(s) but is not in the list"));
        }
    }
    if problems.is_empty() {
        return None;
    }
    failing_means(Category::WrongResult);
    Some(problems.join("; "))
}

/// Per-index call counts of urls made by [`urls`]: a sentence naming the
/// entries fetched other than once (and a declaration that the failure is a
/// wrong result), or `None`.
pub fn count_mismatch(counts: &[usize]) -> Option<String> {
    let wrong: Vec<String> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n != 1)
        .map(|(i, n)| format!("url {i} was fetched {n} time(s)"))
        .collect();
    if wrong.is_empty() {
        None
    } else {
        failing_means(Category::WrongResult);
        let more = if wrong.len() > 6 { format!(" (and {} more)", wrong.len() - 6) } else { String::new() };
        Some(format!("{}{more}", wrong[..wrong.len().min(6)].join(", ")))
    }
}

/// A gate that starts closed. Threads wait for it to open, each up to a
/// deadline, so that a broken implementation can never hang them forever.
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Gate { open: Mutex::new(false), opened: Condvar::new() }
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

/// A `fetch` whose every call blocks on a gate of its own url until the test
/// opens it, and that records who started, who finished, and how many ran at
/// once. Dropping the last handle the test holds does not open the gates; use
/// [`GatedFetch::open_all`] (the tests do it before asserting, so that no
/// call is left waiting).
pub struct GatedFetch {
    gates: Vec<Gate>,
    started: Mutex<Vec<usize>>,
    finished: Vec<AtomicBool>,
    calls: Vec<AtomicUsize>,
    strangers: AtomicUsize,
    in_flight: Gauge,
    give_up_at: Instant,
}

impl GatedFetch {
    /// Gates for urls `0..n`, closed; every call gives up waiting at
    /// `give_up_at` at the latest.
    pub fn new(n: usize, give_up_at: Instant) -> Arc<Self> {
        Arc::new(GatedFetch {
            gates: (0..n).map(|_| Gate::new()).collect(),
            started: Mutex::new(Vec::new()),
            finished: (0..n).map(|_| AtomicBool::new(false)).collect(),
            calls: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            strangers: AtomicUsize::new(0),
            in_flight: Gauge::new(),
            give_up_at,
        })
    }

    /// The body of `fetch`: `Ok("page i")` once url i's gate opens.
    pub fn fetch(&self, url: &str) -> Result<String, String> {
        let Some(i) = index_of(url).filter(|&i| i < self.gates.len()) else {
            self.strangers.fetch_add(1, Ordering::SeqCst);
            return Err(format!("not a url of the list: {url:?}"));
        };
        let _inside = self.in_flight.enter();
        self.calls[i].fetch_add(1, Ordering::SeqCst);
        self.started.lock().unwrap_or_else(|e| e.into_inner()).push(i);
        self.gates[i].wait_until(self.give_up_at);
        self.finished[i].store(true, Ordering::SeqCst);
        Ok(format!("page {i}"))
    }

    /// The indices of the calls that have started, in the order they did.
    pub fn started(&self) -> Vec<usize> {
        self.started.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the call for url `i` has finished.
    pub fn finished(&self, i: usize) -> bool {
        self.finished[i].load(Ordering::SeqCst)
    }

    /// Opens url `i`'s gate.
    pub fn open(&self, i: usize) {
        self.gates[i].open();
    }

    /// Opens every gate.
    pub fn open_all(&self) {
        self.gates.iter().for_each(Gate::open);
    }

    /// Calls per url index.
    pub fn call_counts(&self) -> Vec<usize> {
        self.calls.iter().map(|c| c.load(Ordering::SeqCst)).collect()
    }

    /// The most calls that were running at once.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.max()
    }

    /// Calls with a url that is not in the list.
    pub fn strangers(&self) -> usize {
        self.strangers.load(Ordering::SeqCst)
    }

    /// Opens every gate and waits for `fetch_all` (started by
    /// [`start_gated`]) to return; its results, or a panic that says why
    /// there are none. Also checks that every url was fetched exactly once.
    pub fn finish(
        &self,
        rx: &std::sync::mpsc::Receiver<Result<Vec<Result<String, String>>, String>>,
        call: &str,
    ) -> Vec<Result<String, String>> {
        self.open_all();
        let results = match rx.recv_timeout(GENEROUS) {
            Ok(Ok(results)) => results,
            Ok(Err(message)) => {
                failing_means(Category::Panic);
                panic!("{call} panicked: \"{message}\"")
            }
            Err(_) => {
                failing_means(Category::Deadlock);
                panic!("{call} did not return within 5 s after every fetch was let go")
            }
        };
        if let Some(problem) = count_mismatch(&self.call_counts()) {
            panic!("{call} returned, but {problem}: every entry of urls must be fetched exactly once");
        }
        let strangers = self.strangers();
        if strangers != 0 {
            failing_means(Category::WrongResult);
        }
        assert_eq!(strangers, 0, "{call} called fetch {strangers} time(s) with a string that is not an entry of urls");
        results
    }

    /// The results a correct `fetch_all` returns for `n` urls.
    pub fn expected(n: usize) -> Vec<Result<String, String>> {
        (0..n).map(|i| Ok(format!("page {i}"))).collect()
    }
}

/// Opens every gate when dropped: a failing assertion must not leave calls
/// blocked (in `cargo test` mode the next test shares the process).
pub struct OpenOnDrop(pub Arc<GatedFetch>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open_all();
    }
}

/// Starts `fetch_all(urls(n), max_in_flight, gated)` on a thread of its own;
/// the receiver gets its results when it returns, or the panic message.
pub fn start_gated(
    gated: &Arc<GatedFetch>,
    n: usize,
    max_in_flight: usize,
) -> std::sync::mpsc::Receiver<Result<Vec<Result<String, String>>, String>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let g = gated.clone();
    thread::spawn(move || {
        let list = urls(n);
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fetch_all::fetch_all(&refs, max_in_flight, move |u: &str| g.fetch(u))
        }));
        let _ = tx.send(outcome.map_err(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(a panic whose payload is not a string)".to_string())
        }));
    });
    rx
}
