//! Grading one unpacked submission: each exercise built once against the
//! suite, each test in its own process with its timeout, weights summed.
//!
//! A learner's code that fails, hangs, crashes or does not compile is an
//! ordinary result here. An `Err` means the grader itself could not do its
//! job (cargo missing, a disk full) and is reported as such.

use super::intake::Unpacked;
use super::model::{ExerciseResult, ExerciseStatus, SubmissionResult, SubmissionStatus, TestResult, TestStatus};
use super::suite::{Suite, rs_files};
use crate::compile::{Build, build_tests_from};
use crate::course::{Course, Exercise};
use crate::outcome::{self, TestOutcome};
use crate::runner::Stop;
use anyhow::Result;
use std::path::Path;

/// The tests every exercise is graded with: the hidden tests the binary
/// lists, then the exercise's rules.
pub type TestList = Vec<String>;

/// Grades `sub` in build slot `slot` (one generated package per slot, reused
/// from one submission to the next, so that builds do not pile up).
pub fn grade(course: &Course, suite: &Suite, sub: &Unpacked, source: &str, slot: usize) -> Result<SubmissionResult> {
    let started = std::time::Instant::now();
    let mut exercises = Vec::new();
    for ex in &course.exercises {
        let tests = &suite.tests[&ex.dir];
        let result = match sub.exercises.get(&ex.dir) {
            Some(src) if !is_stub(course, ex, src)? => grade_exercise(course, suite, ex, tests, src, sub, slot)?,
            _ => not_run(
                course,
                ex,
                tests,
                ExerciseStatus::NotSubmitted,
                "not submitted (missing, or the stub unchanged)",
            ),
        };
        exercises.push(result);
    }
    Ok(SubmissionResult {
        id: sub.id.clone(),
        source: source.to_string(),
        status: SubmissionStatus::Graded,
        error: None,
        score: exercises.iter().map(|e| e.score).sum(),
        max_score: exercises.iter().map(|e| e.max_score).sum(),
        content_hash: sub.content_hash.clone(),
        seconds: started.elapsed().as_secs_f64(),
        exercises,
    })
}

/// A submission whose `.rs` files are exactly the course's stub's.
fn is_stub(course: &Course, ex: &Exercise, src: &Path) -> Result<bool> {
    let stub_dir = course.exercise_dir(ex).join("src");
    let theirs = rs_files(src)?;
    let ours = rs_files(&stub_dir)?;
    if theirs.len() != ours.len() {
        return Ok(false);
    }
    for (a, b) in theirs.iter().zip(&ours) {
        if a.strip_prefix(src).ok() != b.strip_prefix(&stub_dir).ok() || std::fs::read(a)? != std::fs::read(b)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn grade_exercise(
    course: &Course,
    suite: &Suite,
    ex: &Exercise,
    tests: &TestList,
    src: &Path,
    sub: &Unpacked,
    slot: usize,
) -> Result<ExerciseResult> {
    let variant = format!("grade-{slot}");
    let tidy = |text: &str| tidy_paths(course, sub, text);
    let (binary, build_ms) =
        match build_tests_from(course, ex, src, &suite.test_dirs[&ex.dir], &variant, false, &mut |_| {})? {
            Build::Built { test_binary, duration } => (test_binary, duration.as_millis() as u64),
            Build::CompileError { rendered, duration } => {
                let mut r =
                    not_run(course, ex, tests, ExerciseStatus::CompileError, "not run: the exercise does not compile");
                r.compiler_output = Some(tidy(&rendered));
                r.build_ms = duration.as_millis() as u64;
                return Ok(r);
            }
        };
    let hidden = crate::runner::list_tests(&binary)?;
    let scratch = course.work_dir().join("grade/runs").join(format!("slot-{slot}")).join(&ex.dir);
    let mut outcomes = crate::runner::run_tests_in(course, ex, &binary, &hidden, 1, Stop::Never, &scratch, &|_, _| {})?;
    // A repeated test passes only if every repetition does: run it again
    // while it keeps passing, and keep the first failure.
    for o in outcomes.iter_mut() {
        let extra = course.repeat(ex, &o.name).saturating_sub(1);
        for _ in 0..extra {
            if o.status != outcome::TestStatus::Passed {
                break;
            }
            let again = crate::runner::run_tests_in(
                course,
                ex,
                &binary,
                std::slice::from_ref(&o.name),
                1,
                Stop::Never,
                &scratch,
                &|_, _| {},
            )?;
            if let Some(a) = again.into_iter().next()
                && a.status != outcome::TestStatus::Passed
            {
                *o = a;
            }
        }
    }
    outcomes.extend(crate::rules::check_rules(course, ex, src));

    let results: Vec<TestResult> = outcomes
        .iter()
        .map(|o| {
            let max_score = course.weight(ex, &o.name);
            let passed = o.status == outcome::TestStatus::Passed;
            TestResult {
                name: o.name.clone(),
                status: match o.status {
                    outcome::TestStatus::Passed => TestStatus::Passed,
                    outcome::TestStatus::Failed => TestStatus::Failed,
                    outcome::TestStatus::TimedOut => TestStatus::TimedOut,
                    outcome::TestStatus::Crashed => TestStatus::Crashed,
                },
                score: if passed { max_score } else { 0.0 },
                max_score,
                duration_ms: o.duration.as_millis() as u64,
                category: (!passed).then(|| category(o).to_string()),
                message: tidy(&full_message(o)),
                visibility: course.visibility(ex, &o.name),
            }
        })
        .collect();
    let all_passed = results.iter().all(|t| t.status == TestStatus::Passed);
    Ok(ExerciseResult {
        name: ex.name.clone(),
        status: if all_passed { ExerciseStatus::Passed } else { ExerciseStatus::Failed },
        score: results.iter().map(|t| t.score).sum(),
        max_score: results.iter().map(|t| t.max_score).sum(),
        tests: results,
        build_ms,
        compiler_output: None,
    })
}

/// An exercise whose tests did not run: every test at 0.
fn not_run(course: &Course, ex: &Exercise, tests: &TestList, status: ExerciseStatus, why: &str) -> ExerciseResult {
    let results: Vec<TestResult> = tests
        .iter()
        .map(|name| TestResult {
            name: name.clone(),
            status: TestStatus::NotRun,
            score: 0.0,
            max_score: course.weight(ex, name),
            duration_ms: 0,
            category: (status == ExerciseStatus::CompileError).then(|| "compile_error".to_string()),
            message: why.to_string(),
            visibility: course.visibility(ex, name),
        })
        .collect();
    ExerciseResult {
        name: ex.name.clone(),
        status,
        score: 0.0,
        max_score: results.iter().map(|t| t.max_score).sum(),
        tests: results,
        build_ms: 0,
        compiler_output: None,
    }
}

/// A coarse kind of failure until the hidden tests name their own (issue 7).
fn category(o: &TestOutcome) -> &'static str {
    match o.status {
        outcome::TestStatus::Passed => "passed",
        outcome::TestStatus::TimedOut => "timeout",
        outcome::TestStatus::Crashed => "crash",
        outcome::TestStatus::Failed if o.name.starts_with("rule_") => "forbidden_construct",
        outcome::TestStatus::Failed if !o.learner_panics.is_empty() => "panic",
        outcome::TestStatus::Failed => "wrong_result",
    }
}

fn full_message(o: &TestOutcome) -> String {
    let mut text = o.message.clone();
    if let Some(location) = &o.location {
        text.push_str(&format!("\n(at {location})"));
    }
    if !o.stderr_tail.is_empty() {
        text.push_str("\n--- end of the test's stderr ---\n");
        text.push_str(&o.stderr_tail);
    }
    text
}

/// Paths into the staging folder read as the learner's own
/// (`exercises/04_counter/src/lib.rs`).
fn tidy_paths(course: &Course, sub: &Unpacked, text: &str) -> String {
    let mut root = sub.root.to_string_lossy().into_owned();
    if !root.ends_with('/') {
        root.push('/');
    }
    let text = text.replace(&root, "");
    let rel = course.relativize(&root);
    course.relativize(&text).replace(&rel, "")
}
