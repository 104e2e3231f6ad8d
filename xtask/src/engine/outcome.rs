//! The one outcome type between the runner and its reporters.
//!
//! The engine produces these; `check`'s reporters and the grader's report
//! only read them. None of them is a file format: each report builds its
//! own serialized types from them (`report/json.rs`, `grade/model.rs`), so
//! a field added here reaches no format unasked. A learner's failing,
//! hanging or crashing code is an ordinary outcome here, never an `Err`.

use crate::engine::category::Category;
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

/// A panic seen in the test process, as the harness recorded it: the
/// result file's record (`tests/protocol`), kept as it is.
pub use protocol::PanicRecord;

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
    pub category: Option<Category>,
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

#[cfg(test)]
mod tests {
    use protocol::{Category, FORMAT_VERSION, PanicRecord, ResultFile, Status};

    /// What the harness writes (`ResultFile::to_json`, hand-written JSON),
    /// the runner reads back (serde_json, as `runner::judge` does), field
    /// for field, whatever the strings hold.
    #[test]
    fn what_the_harness_writes_the_runner_reads_back_field_for_field() {
        let awkward = [
            "",
            "plain",
            "quote \" backslash \\ slash / \\\"both\\\"",
            "lines\nand\r\ntabs\t, nul \0, bell \u{7}, escape \u{1b}, unit separator \u{1f}, delete \u{7f}",
            "non-ASCII: é, ß, 漢字, emoji 🧵, a BOM \u{feff}, line separator \u{2028}",
            "looks like JSON: {\"status\":\"passed\"}, \\u0000",
        ];
        let mut files = Vec::new();
        for (i, s) in awkward.iter().enumerate() {
            let record = |n: usize| PanicRecord {
                thread: format!("{s}{n}"),
                location: format!("src/{s}.rs:{n}:1"),
                message: s.repeat(n),
            };
            files.push(ResultFile {
                format_version: FORMAT_VERSION,
                nonce: format!("{s}nonce"),
                test: s.to_string(),
                status: if i % 2 == 0 { Status::Failed } else { Status::Passed },
                message: s.to_string(),
                location: format!("{s}:1:2"),
                panics: (0..i).map(record).collect(),
                category: (i % 2 == 0).then_some(Category::ALL[i]),
            });
        }
        for category in Category::ALL {
            let mut file = files[0].clone();
            file.category = Some(category);
            files.push(file);
        }
        for file in files {
            let json = file.to_json();
            let read: ResultFile = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
            assert_eq!(read, file, "{json}");
            // And as a plain JSON value: the names the runner's reports use.
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["status"], file.status.as_str());
            assert_eq!(value.get("category").and_then(|c| c.as_str()), file.category.map(Category::as_str));
            assert_eq!(serde_json::to_value(&file).unwrap(), value, "serde writes what the harness writes");
        }
    }

    #[test]
    fn a_result_file_with_an_unknown_status_or_category_does_not_read() {
        let ok =
            r#"{"format_version":1,"nonce":"n","test":"t","status":"failed","message":"","location":"","panics":[]"#;
        assert!(serde_json::from_str::<ResultFile>(&format!("{ok}}}")).is_ok());
        assert!(serde_json::from_str::<ResultFile>(&format!("{ok},\"category\":\"lost_update\"}}")).is_ok());
        assert!(serde_json::from_str::<ResultFile>(&format!("{ok},\"category\":\"made_up\"}}")).is_err());
        assert!(serde_json::from_str::<ResultFile>(&format!("{}}}", ok.replace("failed", "skipped"))).is_err());
    }
}
