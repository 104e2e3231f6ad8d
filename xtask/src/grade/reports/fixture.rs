//! The report every format's tests write: two graded submissions and an
//! invalid one, with the awkward cases each format must survive.

use crate::engine::category::Category;
use crate::grade::model::{
    Established, EstablishedBy, ExerciseResult, ExerciseStatus, FORMAT_VERSION, GradeReport, RunInfo, SubmissionResult,
    SubmissionStatus, Suite, TestResult, TestStatus,
};

fn test(name: &str, status: TestStatus, score: f64, max: f64, category: Option<&str>, message: &str) -> TestResult {
    TestResult {
        name: name.into(),
        status,
        score,
        max_score: max,
        duration_ms: 1234,
        category: category.map(|name| Category::from_name(name).expect("a category's name")),
        message: message.into(),
        visibility: "visible".into(),
        runs: 1,
        explored_by: None,
    }
}

fn exercise(name: &str, status: ExerciseStatus, tests: Vec<TestResult>) -> ExerciseResult {
    ExerciseResult {
        name: name.into(),
        status,
        score: tests.iter().map(|t| t.score).sum(),
        max_score: tests.iter().map(|t| t.max_score).sum(),
        tests,
        build_ms: 0,
        test_cpu_ms: 0,
        compiler_output: None,
        established: Established::default(),
    }
}

fn graded(id: &str, exercises: Vec<ExerciseResult>) -> SubmissionResult {
    SubmissionResult {
        id: id.into(),
        source: format!("subs/{id}.zip"),
        status: SubmissionStatus::Graded,
        error: None,
        score: exercises.iter().map(|e| e.score).sum(),
        max_score: exercises.iter().map(|e| e.max_score).sum(),
        content_hash: "abc".into(),
        seconds: 1.5,
        confirm_seconds: 0.5,
        exercises,
    }
}

const NASTY: &str = "expected <&\"> got \u{1b}[31mred\u{1b}[0m and \u{1b} alone\nsecond line";
pub(super) const ODD_ID: &str = "smith, \"jo\"";

/// Two graded submissions (one with a not-submitted exercise, a compile
/// error, a timeout and a nasty message, under an id with a comma and a
/// quote), and one invalid.
pub(super) fn report() -> GradeReport {
    let a = graded(
        "alice",
        vec![
            exercise(
                "counter",
                ExerciseStatus::Passed,
                vec![
                    test("increments", TestStatus::Passed, 1.0, 1.0, None, ""),
                    test("no_lost_updates", TestStatus::Passed, 2.0, 2.0, None, ""),
                ],
            ),
            exercise(
                "pool",
                ExerciseStatus::Failed,
                vec![
                    test("runs_jobs", TestStatus::Passed, 1.5, 1.5, None, ""),
                    test("joins", TestStatus::Failed, 0.0, 1.0, Some("wrong_result"), "left 1 right 2"),
                ],
            ),
            exercise(
                "barrier",
                ExerciseStatus::NotSubmitted,
                vec![test("waits", TestStatus::NotRun, 0.0, 3.0, None, "")],
            ),
        ],
    );
    let mut a = a;
    a.exercises[1].established = Established {
        how: EstablishedBy::CutShort,
        runs_wanted: 44,
        runs_least: 12,
        proven: 0,
        summary: "Cut short by the time budget.".into(),
    };
    let mut broken =
        exercise("barrier", ExerciseStatus::CompileError, vec![test("waits", TestStatus::NotRun, 0.0, 3.0, None, "")]);
    broken.compiler_output = Some("error[E0308]: mismatched types <T>".into());
    let b = graded(
        ODD_ID,
        vec![
            exercise(
                "counter",
                ExerciseStatus::Failed,
                vec![
                    test("increments", TestStatus::Passed, 1.0, 1.0, None, ""),
                    test("no_lost_updates", TestStatus::TimedOut, 0.0, 2.0, None, ""),
                ],
            ),
            exercise(
                "pool",
                ExerciseStatus::Failed,
                vec![
                    test("runs_jobs", TestStatus::Crashed, 0.0, 1.5, Some("deadlock"), NASTY),
                    test("joins", TestStatus::Failed, 0.0, 1.0, None, "never joined"),
                ],
            ),
            broken,
        ],
    );
    let c = SubmissionResult {
        id: "mallory".into(),
        source: "subs/mallory.tgz".into(),
        status: SubmissionStatus::Invalid,
        error: Some("entry ../../etc/passwd escapes the submission <&>".into()),
        score: 0.0,
        max_score: 10.5,
        content_hash: String::new(),
        seconds: 0.0,
        confirm_seconds: 0.0,
        exercises: vec![],
    };
    GradeReport {
        format_version: FORMAT_VERSION,
        suite: Suite { version: "0.1.0".into(), tests_hash: "h".into(), property_seed: "s".into() },
        run: RunInfo {
            started: "2026-01-01T00:00:00Z".into(),
            grader_version: "0.1.0".into(),
            toolchain: "rustc 1.88.0".into(),
            jobs: 2,
            guarantee:
                "a mistake that a test catches in at least 10% of its runs is missed with probability at most 1%".into(),
            time_budget_secs: Some(300.0),
            sandbox: Default::default(),
            shard: None,
            candidates: vec![],
        },
        submissions: vec![a, b, c],
    }
}
