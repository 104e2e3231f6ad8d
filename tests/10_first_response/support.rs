//! Helpers shared by the hidden tests of exercise 10: calling
//! `first_response` under a deadline, mirrors with typical behaviours, and
//! flags that mirrors raise so the tests can see what happened to them.
//!
//! The tests only ever get a `Cancel` the way a mirror does, as the argument
//! of the mirror, and only use `is_cancelled` and `sleep` on it: the learner
//! may change everything else about it.
//!
//! Every mirror owns its state through an `Arc`. A broken `first_response`
//! that leaves mirror threads running after it returns then leaves them
//! holding memory that is still alive, so one wrong answer cannot crash the
//! tests that come after it.

use first_response::{Cancel, FirstError, Mirror};
use testkit::prelude::*;

/// What `first_response` returns.
pub type Outcome<T> = Result<T, FirstError>;

/// How long a mirror that "never answers" waits on its `Cancel` when nobody
/// cancels it: far longer than any test waits for a call to return.
pub const FOREVER: Duration = Duration::from_secs(60);

/// Boxes a closure as a mirror.
pub fn mirror<T>(f: impl FnOnce(&Cancel) -> Result<T, String> + Send + 'static) -> Mirror<T> {
    Box::new(f)
}

/// Calls `first_response(mirrors, timeout)` on a helper thread and waits up
/// to `limit` for it. `Some(outcome)` if it returned. A panic inside the call
/// reaches the caller of this function.
pub fn call_within<T: Send + 'static>(
    limit: Duration,
    mirrors: Vec<Mirror<T>>,
    timeout: Duration,
) -> Option<Outcome<T>> {
    call_then(limit, mirrors, timeout, || ()).map(|(outcome, ())| outcome)
}

/// Like [`call_within`], and runs `look` on the same thread the moment the
/// call returns, so that it sees what the mirrors had done by then, before
/// any straggler could catch up.
pub fn call_then<T: Send + 'static, R: Send + 'static>(
    limit: Duration,
    mirrors: Vec<Mirror<T>>,
    timeout: Duration,
    look: impl FnOnce() -> R + Send + 'static,
) -> Option<(Outcome<T>, R)> {
    within(limit, move || {
        let outcome = first_response::first_response(mirrors, timeout);
        let seen = look();
        (outcome, seen)
    })
}

/// One flag per mirror, raised by the mirror itself.
pub struct Flags(Vec<AtomicBool>);

impl Flags {
    /// `n` lowered flags, shareable with the mirrors.
    pub fn new(n: usize) -> Arc<Flags> {
        Arc::new(Flags((0..n).map(|_| AtomicBool::new(false)).collect()))
    }

    /// Raises flag `i`.
    pub fn raise(&self, i: usize) {
        self.0[i].store(true, Ordering::SeqCst);
    }

    /// Whether flag `i` is raised.
    pub fn is_raised(&self, i: usize) -> bool {
        self.0[i].load(Ordering::SeqCst)
    }

    /// The flags among `which` that are not raised.
    pub fn lowered(&self, which: impl IntoIterator<Item = usize>) -> Vec<usize> {
        which.into_iter().filter(|&i| !self.is_raised(i)).collect()
    }
}

/// A mirror that waits on its `Cancel` for [`FOREVER`], raises
/// `saw_cancel[i]` if the wait ended because it was cancelled, then
/// `ended[i]` just before it returns an error.
pub fn never_answers<T>(i: usize, saw_cancel: &Arc<Flags>, ended: &Arc<Flags>) -> Mirror<T> {
    let (saw_cancel, ended) = (saw_cancel.clone(), ended.clone());
    mirror(move |cancel| {
        if cancel.sleep(FOREVER) {
            saw_cancel.raise(i);
        }
        ended.raise(i);
        Err(format!("mirror {i} never answered"))
    })
}

/// A counter that threads wait on until it reaches a value, each up to a
/// deadline, so that a broken implementation can never hang them forever.
pub struct Turns {
    done: Mutex<usize>,
    changed: std::sync::Condvar,
}

impl Turns {
    /// A counter at zero.
    pub fn new() -> Arc<Turns> {
        Arc::new(Turns { done: Mutex::new(0), changed: std::sync::Condvar::new() })
    }

    /// Adds one and wakes every waiter.
    pub fn advance(&self) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }

    /// Blocks until the counter is at least `n` or `deadline` passes; says
    /// whether it got there.
    pub fn wait_for(&self, n: usize, deadline: Instant) -> bool {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while *done < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            done = self.changed.wait_timeout(done, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
}

/// What an outcome other than `expected` means: every error there, but in
/// another order, is `Order`; anything else is `WrongResult`.
pub fn wrong_outcome<T: PartialEq>(expected: &Outcome<T>, got: &Outcome<T>) -> Category {
    match (expected, got) {
        (Err(FirstError::AllFailed(want)), Err(FirstError::AllFailed(have))) if want != have => {
            let (mut want, mut have) = (want.clone(), have.clone());
            want.sort();
            have.sort();
            if want == have { Category::Order } else { Category::WrongResult }
        }
        _ => Category::WrongResult,
    }
}

/// "[0, 2]" as "mirrors 0 and 2", for messages.
pub fn mirrors_named(indices: &[usize]) -> String {
    let names: Vec<String> = indices.iter().map(|i| i.to_string()).collect();
    match names.len() {
        0 => "no mirror".to_string(),
        1 => format!("mirror {}", names[0]),
        n => format!("mirrors {} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}
