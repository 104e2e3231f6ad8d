//! The kinds of mistake a failed hidden test can name.
//!
//! A hidden test says what its failure would mean with
//! [`failing_means`], at its start or before each part that checks
//! something else; the harness reports the last category declared when the
//! test fails. The runner adds the ones no test can name from inside (a
//! panic in the learner's code, a timeout, a compile error, a forbidden
//! construct), and `tests/categories.toml` holds each category's explanation
//! and the lesson section to reread.

use std::sync::Mutex;

/// One kind of concurrency mistake, from the course's fixed list: the
/// protocol crate's, which the runner reads result files with too.
pub use protocol::Category;

static DECLARED: Mutex<Option<Category>> = Mutex::new(None);

/// Declares what a failure of the running test from here on means: call it
/// at the start of a test, and again before a part that checks for another
/// mistake. Any thread may call it; the last call wins.
pub fn failing_means(category: Category) {
    *DECLARED.lock().unwrap_or_else(|e| e.into_inner()) = Some(category);
}

/// The category last declared, if any.
pub fn declared() -> Option<Category> {
    *DECLARED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Forgets the declared category (between tests run in one process).
pub(crate) fn forget() {
    *DECLARED.lock().unwrap_or_else(|e| e.into_inner()) = None;
}
