//! The JSON lines of `check --format json`, and `JsonLines`, which writes
//! them: one object per line, for programs. This module is the one place
//! that defines them; ARCHITECTURE.md ("The JSON lines of `check --format
//! json`") points here.
//!
//! Every line has `format_version` ([`FORMAT_VERSION`]) and a `type`:
//!
//! * `test` ([`TestLine`]): one per test as it ends, in declaration order;
//! * `exercise` ([`ExerciseLine`]): after an exercise's tests, or, for an
//!   exercise that passed before and has not changed since, a
//!   [`RememberedLine`] in its place;
//! * `summary` ([`SummaryLine`]): last.
//!
//! Notes (a tier that could not run) are no line: they go to stderr.
//!
//! The names are a contract with the scripts that read them (`bench` among
//! them): change them only with `format_version`. Each line is built field
//! by field from the engine's outcomes, never by serializing them, so a
//! field added to `TestOutcome` or `ExerciseOutcome` does not reach this
//! format unasked.
//!
//! Keys come out in the order the fields are declared, and each line
//! declares them in alphabetical order: the order these lines have always
//! had (they were once `serde_json::Value` maps, which sort their keys).

use super::Reporter;
use crate::engine::category::Category;
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome, TestStatus};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

/// The `format_version` of every line: raise it when a name or a meaning
/// changes.
pub const FORMAT_VERSION: u32 = 1;

/// A line's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineType {
    Test,
    Exercise,
    Summary,
}

/// `{"type":"test"}`: one hidden test's verdict.
#[derive(Debug, Serialize)]
pub struct TestLine<'a> {
    /// The kind of mistake a test that did not pass shows (`lost_update`,
    /// `panic`, ...: `xtask/src/engine/category.rs`); absent for a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'a str>,
    /// CPU time of the test's process and everything it waited for, its
    /// supervisor's included, in milliseconds.
    pub cpu_ms: u64,
    /// Wall time of the test's process, in milliseconds.
    pub duration_ms: u64,
    /// The exercise's crate name.
    pub exercise: &'a str,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Panics raised in the learner's code (any thread), for context.
    pub learner_panics: Vec<PanicLine<'a>>,
    /// Where the failing panic happened, relative to the course root
    /// (`file:line:column`); `null` when none did.
    pub location: Option<&'a str>,
    /// What the learner should read: the test's explanation, or what went
    /// wrong in their code, in words. Empty for a pass.
    pub message: &'a str,
    /// The hidden test's name.
    pub name: &'a str,
    /// Bytes the test printed on stdout and stderr together.
    pub output_bytes: u64,
    /// `passed`, `failed`, `timed_out` or `crashed`.
    pub status: TestStatus,
    /// The end of the test's stderr, for a crash or a timeout; absent when
    /// empty.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub stderr_tail: &'a str,
    /// Always `test`.
    #[serde(rename = "type")]
    pub line_type: LineType,
    /// Points for passing, from `exercises/info.toml` (default 1).
    pub weight: f64,
}

/// One of a test line's `learner_panics`.
#[derive(Debug, Serialize)]
pub struct PanicLine<'a> {
    /// Where it panicked: `file:line:column`.
    pub location: &'a str,
    /// The panic's message.
    pub message: &'a str,
    /// The name of the thread that panicked (`main`, `within`, ...).
    pub thread: &'a str,
}

/// `{"type":"exercise"}`: an exercise's verdict, after its tests.
#[derive(Debug, Serialize)]
pub struct ExerciseLine<'a> {
    /// Wall time of the exercise's build, in milliseconds.
    pub build_ms: u64,
    /// The compiler's messages, when it did not compile; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiler_output: Option<&'a str>,
    /// The exercise's folder name (`04_counter`).
    pub dir: &'a str,
    /// Wall time of the schedule-exploration tier's build, in milliseconds;
    /// absent when that tier was not built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exploration_build_ms: Option<u64>,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The exercise's crate name.
    pub name: &'a str,
    /// How many of its tests passed.
    pub passed: usize,
    /// `passed`, `failed` or `compile_error`.
    pub status: ExerciseStatus,
    /// How many tests ran.
    pub total: usize,
    /// Always `exercise`.
    #[serde(rename = "type")]
    pub line_type: LineType,
}

/// `{"type":"exercise", "remembered":true}`: an exercise that passed before
/// and has not changed since, not run again. It has no counts.
#[derive(Debug, Serialize)]
pub struct RememberedLine<'a> {
    /// The exercise's folder name.
    pub dir: &'a str,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The exercise's crate name.
    pub name: &'a str,
    /// Always `true`: what tells this line from an [`ExerciseLine`].
    pub remembered: bool,
    /// Always `passed`.
    pub status: ExerciseStatus,
    /// Always `exercise`.
    #[serde(rename = "type")]
    pub line_type: LineType,
}

/// `{"type":"summary"}`: the last line.
#[derive(Debug, Serialize)]
pub struct SummaryLine<'a> {
    /// How many exercises this run checked (remembered ones not counted).
    pub checked: usize,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The exercise to work on next, `null` when there is none.
    pub next: Option<&'a str>,
    /// How many of the course's exercises pass, remembered ones included.
    pub passed_exercises: usize,
    /// How many exercises the course has.
    pub total_exercises: usize,
    /// Always `summary`.
    #[serde(rename = "type")]
    pub line_type: LineType,
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

impl<'a> TestLine<'a> {
    /// The line for `test`, one of exercise `exercise`'s.
    pub fn new(exercise: &'a str, test: &'a TestOutcome) -> Self {
        TestLine {
            category: test.category.map(Category::as_str),
            cpu_ms: millis(test.cpu),
            duration_ms: millis(test.duration),
            exercise,
            format_version: FORMAT_VERSION,
            learner_panics: test
                .learner_panics
                .iter()
                .map(|p| PanicLine { location: &p.location, message: &p.message, thread: &p.thread })
                .collect(),
            location: test.location.as_deref(),
            message: &test.message,
            name: &test.name,
            output_bytes: test.output_bytes,
            status: test.status,
            stderr_tail: &test.stderr_tail,
            line_type: LineType::Test,
            weight: test.weight,
        }
    }
}

impl<'a> ExerciseLine<'a> {
    pub fn new(outcome: &'a ExerciseOutcome) -> Self {
        ExerciseLine {
            build_ms: millis(outcome.build_duration),
            compiler_output: outcome.compiler_output.as_deref(),
            dir: &outcome.dir,
            exploration_build_ms: outcome.exploration_build_duration.map(millis),
            format_version: FORMAT_VERSION,
            name: &outcome.name,
            passed: outcome.passed_count(),
            status: outcome.status,
            total: outcome.tests.len(),
            line_type: LineType::Exercise,
        }
    }
}

impl<'a> RememberedLine<'a> {
    /// The line for exercise `name` in folder `dir`.
    pub fn new(name: &'a str, dir: &'a str) -> Self {
        RememberedLine {
            dir,
            format_version: FORMAT_VERSION,
            name,
            remembered: true,
            status: ExerciseStatus::Passed,
            line_type: LineType::Exercise,
        }
    }
}

impl<'a> SummaryLine<'a> {
    pub fn new(passed_exercises: usize, total_exercises: usize, checked: usize, next: Option<&'a str>) -> Self {
        SummaryLine {
            checked,
            format_version: FORMAT_VERSION,
            next,
            passed_exercises,
            total_exercises,
            line_type: LineType::Summary,
        }
    }
}

/// One JSON object per line, for programs: the lines above, on stdout.
pub struct JsonLines {
    out: std::io::Stdout,
}

impl JsonLines {
    pub fn new() -> Self {
        JsonLines { out: std::io::stdout() }
    }

    fn emit(&mut self, line: &impl Serialize) {
        let mut out = self.out.lock();
        if serde_json::to_writer(&mut out, line).is_ok() {
            let _ = writeln!(out);
        }
        let _ = out.flush();
    }
}

impl Reporter for JsonLines {
    fn exercise_started(&mut self, _: &Course, _: &Exercise) {}

    fn exercise_remembered(&mut self, _course: &Course, ex: &Exercise) {
        self.emit(&RememberedLine::new(&ex.name, &ex.dir));
    }

    fn test_finished(&mut self, _course: &Course, ex: &Exercise, test: &TestOutcome) {
        self.emit(&TestLine::new(&ex.name, test));
    }

    fn exercise_finished(&mut self, _course: &Course, _ex: &Exercise, outcome: &ExerciseOutcome) {
        self.emit(&ExerciseLine::new(outcome));
    }

    fn summary(&mut self, course: &Course, passed: usize, checked: usize, next: Option<&Exercise>) {
        self.emit(&SummaryLine::new(passed, course.exercises.len(), checked, next.map(|e| e.name.as_str())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::PanicRecord;

    fn text(line: &impl Serialize) -> String {
        serde_json::to_string(line).unwrap()
    }

    fn failed_test() -> TestOutcome {
        TestOutcome {
            name: "increments".into(),
            status: TestStatus::Crashed,
            message: "the test process aborted".into(),
            location: Some("exercises/04_counter/src/lib.rs:20:9".into()),
            category: Some(Category::Panic),
            duration: Duration::from_micros(47_900),
            cpu: Duration::from_millis(5),
            learner_panics: vec![PanicRecord {
                thread: "within".into(),
                location: "exercises/04_counter/src/lib.rs:20:9".into(),
                message: "not yet implemented".into(),
            }],
            weight: 3.0,
            output_bytes: 192,
            stderr_tail: "fatal runtime error\n".into(),
        }
    }

    /// The exact text, key order included, that scripts have always read.
    #[test]
    fn a_test_line_is_the_text_it_always_was() {
        let failed = failed_test();
        assert_eq!(
            text(&TestLine::new("counter", &failed)),
            r#"{"category":"panic","cpu_ms":5,"duration_ms":47,"exercise":"counter","format_version":1,"learner_panics":[{"location":"exercises/04_counter/src/lib.rs:20:9","message":"not yet implemented","thread":"within"}],"location":"exercises/04_counter/src/lib.rs:20:9","message":"the test process aborted","name":"increments","output_bytes":192,"status":"crashed","stderr_tail":"fatal runtime error\n","type":"test","weight":3.0}"#
        );
        let passed = TestOutcome {
            status: TestStatus::Passed,
            message: String::new(),
            location: None,
            category: None,
            learner_panics: Vec::new(),
            weight: 1.0,
            output_bytes: 0,
            stderr_tail: String::new(),
            ..failed
        };
        assert_eq!(
            text(&TestLine::new("counter", &passed)),
            r#"{"cpu_ms":5,"duration_ms":47,"exercise":"counter","format_version":1,"learner_panics":[],"location":null,"message":"","name":"increments","output_bytes":0,"status":"passed","type":"test","weight":1.0}"#
        );
    }

    #[test]
    fn exercise_remembered_and_summary_lines_are_the_text_they_always_were() {
        let mut exercise = ExerciseOutcome {
            name: "counter".into(),
            dir: "04_counter".into(),
            status: ExerciseStatus::Failed,
            tests: vec![failed_test(), TestOutcome { status: TestStatus::Passed, ..failed_test() }],
            compiler_output: None,
            build_failure: None,
            build_duration: Duration::from_millis(3230),
            exploration_build_duration: Some(Duration::from_millis(2294)),
        };
        assert_eq!(
            text(&ExerciseLine::new(&exercise)),
            r#"{"build_ms":3230,"dir":"04_counter","exploration_build_ms":2294,"format_version":1,"name":"counter","passed":1,"status":"failed","total":2,"type":"exercise"}"#
        );
        exercise.status = ExerciseStatus::CompileError;
        exercise.tests.clear();
        exercise.compiler_output = Some("error[E0308]: mismatched types\n".into());
        exercise.exploration_build_duration = None;
        assert_eq!(
            text(&ExerciseLine::new(&exercise)),
            r#"{"build_ms":3230,"compiler_output":"error[E0308]: mismatched types\n","dir":"04_counter","format_version":1,"name":"counter","passed":0,"status":"compile_error","total":0,"type":"exercise"}"#
        );
        assert_eq!(
            text(&RememberedLine::new("good", "03_good")),
            r#"{"dir":"03_good","format_version":1,"name":"good","remembered":true,"status":"passed","type":"exercise"}"#
        );
        assert_eq!(
            text(&SummaryLine::new(0, 13, 1, Some("send_all"))),
            r#"{"checked":1,"format_version":1,"next":"send_all","passed_exercises":0,"total_exercises":13,"type":"summary"}"#
        );
        assert_eq!(
            text(&SummaryLine::new(13, 13, 2, None)),
            r#"{"checked":2,"format_version":1,"next":null,"passed_exercises":13,"total_exercises":13,"type":"summary"}"#
        );
    }
}
