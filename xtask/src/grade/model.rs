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
    /// or its exercise failed another test (`confirm_runs`); a failure ends
    /// the runs. 0 when not run.
    #[serde(default)]
    pub runs: u32,
}

fn visible() -> String {
    "visible".to_string()
}
