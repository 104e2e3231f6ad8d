//! The one outcome type between the runner and its reporters.
//!
//! The engine produces these; `check`'s reporters and the grader's report
//! only read them. None of them is a file format: each report builds its
//! own serialized types from them (`report/json.rs`, `grade/model.rs`), so
//! a field added here reaches no format unasked. A learner's failing,
//! hanging or crashing code is an ordinary outcome here, never an `Err`.

use serde::Serialize;
use std::time::Duration;

/// What happened to one hidden test: the one vocabulary of the runner, the
/// reporters and the grader's `report.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    /// The harness saw the body return and said so in the result file.
    Passed,
    /// The body panicked: an assertion of the hidden test, or the learner's code.
    Failed,
    /// Still running at its timeout; the whole process group was killed.
    TimedOut,
    /// The process ended without reporting an outcome: abort, signal,
    /// `std::process::exit`, stack overflow.
    Crashed,
    /// Not run: its exercise was not submitted or did not compile, or its
    /// tier could not judge these sources (grading only).
    NotRun,
}

/// A panic seen in the test process, as the harness recorded it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PanicRecord {
    pub thread: String,
    pub location: String,
    pub message: String,
}

/// The outcome of one hidden test process.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub name: String,
    pub status: TestStatus,
    /// What the learner should read: the test's explanation, or what went
    /// wrong in their code, in words.
    pub message: String,
    /// Where the failing panic happened, relative to the course root.
    pub location: Option<String>,
    /// The kind of mistake a test that did not pass names (see
    /// `category.rs`); none for a pass.
    pub category: Option<String>,
    pub duration: Duration,
    /// CPU time of the test's process and everything it waited for (its
    /// supervisor's too): what the test cost the machine.
    pub cpu: Duration,
    /// Panics raised in the learner's code (any thread), for context.
    pub learner_panics: Vec<PanicRecord>,
    /// Points for passing, from `exercises/info.toml` (default 1).
    pub weight: f64,
    /// How many bytes the test printed on stdout and stderr together.
    pub output_bytes: u64,
    /// The end of the test's stderr, kept for crashes and timeouts.
    pub stderr_tail: String,
}

/// Why a build gave no test binary: all of them the learner's to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildFailure {
    /// rustc rejected the sources (or the hidden tests against them).
    Rustc,
    /// Not built at all: the sources would make the compiler read files
    /// outside their folder (`reach.rs`).
    Refused,
    /// The build ran past the course's build time limit and was stopped.
    TimedOut,
}

/// What happened to one exercise as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseStatus {
    Passed,
    Failed,
    CompileError,
}

/// The outcome of checking one exercise.
#[derive(Debug, Clone)]
pub struct ExerciseOutcome {
    pub name: String,
    pub dir: String,
    pub status: ExerciseStatus,
    pub tests: Vec<TestOutcome>,
    /// The compiler's messages, when the exercise did not compile.
    pub compiler_output: Option<String>,
    /// Why it did not compile, when it did not.
    pub build_failure: Option<BuildFailure>,
    pub build_duration: Duration,
    /// Wall time of the schedule-exploration tier's build, when it was built.
    pub exploration_build_duration: Option<Duration>,
}

impl ExerciseOutcome {
    pub fn passed_count(&self) -> usize {
        self.tests.iter().filter(|t| t.status == TestStatus::Passed).count()
    }
}
