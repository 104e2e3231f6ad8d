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

/// One kind of concurrency mistake, from the course's fixed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // tests/categories.toml explains each one
pub enum Category {
    WrongResult,
    LostUpdate,
    CheckThenAct,
    LostWakeup,
    Deadlock,
    LeakedThread,
    BusyWait,
    IgnoredCancellation,
    NotConcurrent,
    TooConcurrent,
    Order,
    Panic,
    Timeout,
    CompileError,
    ForbiddenConstruct,
}

impl Category {
    /// Every category, in the order the documentation lists them.
    pub const ALL: [Category; 15] = [
        Category::WrongResult,
        Category::LostUpdate,
        Category::CheckThenAct,
        Category::LostWakeup,
        Category::Deadlock,
        Category::LeakedThread,
        Category::BusyWait,
        Category::IgnoredCancellation,
        Category::NotConcurrent,
        Category::TooConcurrent,
        Category::Order,
        Category::Panic,
        Category::Timeout,
        Category::CompileError,
        Category::ForbiddenConstruct,
    ];

    /// Whether a failure of this kind usually leaves threads blocked or
    /// running, so that their stacks say where the mistake is.
    pub const fn leaves_threads_behind(self) -> bool {
        matches!(
            self,
            Category::Deadlock
                | Category::LostWakeup
                | Category::LeakedThread
                | Category::BusyWait
                | Category::IgnoredCancellation
        )
    }

    /// The name reports use (`lost_update`).
    pub const fn name(self) -> &'static str {
        match self {
            Category::WrongResult => "wrong_result",
            Category::LostUpdate => "lost_update",
            Category::CheckThenAct => "check_then_act",
            Category::LostWakeup => "lost_wakeup",
            Category::Deadlock => "deadlock",
            Category::LeakedThread => "leaked_thread",
            Category::BusyWait => "busy_wait",
            Category::IgnoredCancellation => "ignored_cancellation",
            Category::NotConcurrent => "not_concurrent",
            Category::TooConcurrent => "too_concurrent",
            Category::Order => "order",
            Category::Panic => "panic",
            Category::Timeout => "timeout",
            Category::CompileError => "compile_error",
            Category::ForbiddenConstruct => "forbidden_construct",
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_snake_case() {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
            assert!(!names[..i].contains(n), "{n} twice");
        }
    }
}
