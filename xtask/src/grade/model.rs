//! The grader's one outcome type: what `report.json` holds, and what every
//! other report (`grades.csv`, `junit.xml`, Gradescope's `results.json`, the
//! terminal summary) is written from. Shards write it, `merge` reads it back.
//!
//! The names are a contract with graders' scripts: change them only
//! with `format_version`.

use crate::engine::category::Category;
use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GradeReport {
    pub format_version: u32,
    pub suite: Suite,
    pub run: RunInfo,
    /// In submission id order.
    pub submissions: Vec<SubmissionResult>,
}

/// What the submissions were graded against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suite {
    /// The course version (`xtask`'s package version).
    pub version: String,
    /// sha256 over every file that decides a grade: the hidden tests, the
    /// private overlay, `exercises/info.toml`, the stubs, the manifests.
    pub tests_hash: String,
    /// The seed every property test uses (fixed per suite version).
    pub property_seed: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// RFC 3339, UTC.
    pub started: String,
    pub grader_version: String,
    /// `rustc --version`.
    pub toolchain: String,
    pub jobs: usize,
    /// Each protection layer around learner code, and whether it is on here
    /// (`Sandbox::layers`, as `cargo xtask doctor` shows them).
    pub sandbox: serde_json::Map<String, serde_json::Value>,
    /// What a confirmed score guarantees (see `engine/confirm.rs`).
    #[serde(default)]
    pub guarantee: String,
    /// `--time-budget`, in seconds, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_budget_secs: Option<f64>,
    /// `i/n` when this run graded one shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Every submission id the command line named, in every shard: `merge`
    /// names those no shard graded.
    #[serde(default)]
    pub candidates: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    Graded,
    /// The submission could not be read: `error` says why. Scores 0.
    Invalid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmissionResult {
    /// The entry's name without its extension.
    pub id: String,
    /// The path it was read from, as given.
    pub source: String,
    pub status: SubmissionStatus,
    pub error: Option<String>,
    pub score: f64,
    pub max_score: f64,
    /// sha256 of the files taken from the submission (empty when invalid).
    #[serde(default)]
    pub content_hash: String,
    /// Wall time to grade it (builds and tests), when it was graded.
    #[serde(default)]
    pub seconds: f64,
    /// The part of `seconds` spent settling verdicts after the first runs
    /// (confirmation runs; `engine/confirm.rs`).
    #[serde(default)]
    pub confirm_seconds: f64,
    pub exercises: Vec<ExerciseResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseStatus {
    Passed,
    Failed,
    CompileError,
    NotSubmitted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExerciseResult {
    /// The exercise's crate name.
    pub name: String,
    pub status: ExerciseStatus,
    pub score: f64,
    pub max_score: f64,
    pub tests: Vec<TestResult>,
    /// Wall time of its build, in milliseconds (0 when not built).
    #[serde(default)]
    pub build_ms: u64,
    /// CPU time of every test process run for it (confirmation runs and
    /// the exploration tier included, each with its supervisor), in ms.
    #[serde(default)]
    pub test_cpu_ms: u64,
    /// The compiler's messages when it did not compile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiler_output: Option<String>,
    /// How its score was established.
    #[serde(default)]
    pub established: Established,
}

impl ExerciseResult {
    /// Whether the time budget ended its confirmation runs early.
    pub fn cut_short(&self) -> bool {
        self.established.how == EstablishedBy::CutShort
    }
}

/// How an exercise's score was established, so that a grader can tell a
/// score that no run can change from one that rests on confirmation runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Established {
    pub how: EstablishedBy,
    /// The confirmation runs the policy asks of each passing real-thread
    /// test (0 when none was confirmed).
    pub runs_wanted: u32,
    /// The fewest any of those tests got before its verdict (below
    /// `runs_wanted` only when `cut_short`).
    pub runs_least: u32,
    /// Tests scored failed because an explored test broke their property.
    pub proven: u32,
    /// The same, in one or two sentences for people.
    pub summary: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstablishedBy {
    /// No verdict rests on a schedule's luck: the exercise was not built or
    /// not submitted, every test passed, or each test that passed has a
    /// verdict that is the same on every run (a rule, an explored test).
    #[default]
    Deterministic,
    /// Its passing real-thread tests were each run `runs_wanted` more times
    /// (or until they failed), to the stated guarantee.
    Confirmed,
    /// The time budget ended confirmation early: some passing test got
    /// only `runs_least` of its `runs_wanted` runs.
    CutShort,
}

/// A test's status: the runner's own vocabulary, `not_run` included.
pub use crate::engine::outcome::TestStatus;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub status: TestStatus,
    pub score: f64,
    pub max_score: f64,
    pub duration_ms: u64,
    /// What kind of mistake a failure shows (`null` when it passed), by
    /// its name on the fixed list (`lost_update`).
    pub category: Option<Category>,
    pub message: String,
    /// Gradescope's `visible`, `after_due_date`, `after_published` or `hidden`.
    #[serde(default = "visible")]
    pub visibility: String,
    /// How many times it ran: more than once when it is repeated (metadata)
    /// or confirmed because its exercise failed another test; a failure
    /// ends the runs. 0 when not run.
    #[serde(default)]
    pub runs: u32,
    /// The explored test that settled this test's verdict (`explored_by` in
    /// info.toml): it failed, and so this test failed whatever its own runs
    /// said; or it passed, and this test's first run was not confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explored_by: Option<String>,
}

fn visible() -> String {
    "visible".to_string()
}
