//! Reporters: they turn outcomes into what a person or a program reads.
//!
//! The human reporter writes through `anstream`, which drops colour codes
//! when the output is not a terminal or `NO_COLOR` is set. The JSON reporter
//! writes one object per line (format_version 1):
//!
//! * `{"type":"test", "exercise", "name", "status", "message", "location",
//!   "category"?, "duration_ms", "learner_panics"}` for each test, in
//!   declaration order (`category` for a test that did not pass);
//! * `{"type":"exercise", "name", "dir", "status", "passed", "total",
//!   "build_ms", "compiler_output"?}` after an exercise's tests;
//! * `{"type":"summary", "passed_exercises", "total_exercises",
//!   "checked", "next"}` last.

use crate::category::Catalogue;
use crate::course::{Course, Exercise};
use crate::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome, TestStatus};
use anstyle::{AnsiColor, Style};
use serde_json::json;
use std::io::Write;

/// Where `check` sends what it finds, as it finds it.
pub trait Reporter: Send {
    fn exercise_started(&mut self, course: &Course, ex: &Exercise);
    /// An exercise whose unchanged sources passed before, not re-run.
    fn exercise_remembered(&mut self, course: &Course, ex: &Exercise);
    fn test_finished(&mut self, course: &Course, ex: &Exercise, test: &TestOutcome);
    fn exercise_finished(&mut self, course: &Course, ex: &Exercise, outcome: &ExerciseOutcome);
    fn summary(&mut self, course: &Course, passed: usize, checked: usize, next: Option<&Exercise>);
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Text for people, with colour when the terminal wants it.
pub struct Human {
    out: anstream::AutoStream<std::io::Stdout>,
    /// The last failure message printed, to fold repeats (a stub fails every
    /// test with the same `todo!()`).
    last_message: Option<String>,
    catalogue: Catalogue,
    /// The categories explained so far in this exercise: each is explained
    /// once, at its first failing test.
    explained: Vec<String>,
}

impl Human {
    pub fn new(catalogue: Catalogue) -> Self {
        Human {
            out: anstream::AutoStream::auto(std::io::stdout()),
            last_message: None,
            catalogue,
            explained: Vec::new(),
        }
    }

    /// `[Lost update]` after a failed test's name.
    fn category_label(&self, test: &TestOutcome) -> String {
        match &test.category {
            Some(name) => {
                let title = self.catalogue.get(name).map_or(name.as_str(), |e| e.title.as_str());
                format!(" [{title}]")
            }
            None => String::new(),
        }
    }

    /// The category's explanation and where to reread, the first time it
    /// appears in an exercise.
    fn explain_category(&mut self, ex: &Exercise, test: &TestOutcome) {
        let Some(name) = &test.category else { return };
        if self.explained.contains(name) {
            return;
        }
        self.explained.push(name.clone());
        let Some(entry) = self.catalogue.get(name) else { return };
        let reread = self.catalogue.reread(name, ex).unwrap_or_default();
        let _ = writeln!(self.out, "      {BOLD}{}:{BOLD:#} {}", entry.title, entry.explanation);
        let _ = writeln!(self.out, "      {DIM}Reread {reread}.{DIM:#}");
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}")).collect::<Vec<_>>().join("\n")
}

impl Reporter for Human {
    fn exercise_started(&mut self, course: &Course, ex: &Exercise) {
        self.last_message = None;
        self.explained.clear();
        let title = format!("{:02} {}", course.number(ex), ex.name);
        let rule = "─".repeat(60usize.saturating_sub(title.len() + 4));
        let _ = writeln!(self.out, "\n{BOLD}── {title} {rule}{BOLD:#}");
    }

    fn exercise_remembered(&mut self, course: &Course, ex: &Exercise) {
        let _ = writeln!(
            self.out,
            "{GREEN}✓{GREEN:#} {:02} {} {DIM}(passed before, unchanged since){DIM:#}",
            course.number(ex),
            ex.name
        );
    }

    fn test_finished(&mut self, _course: &Course, ex: &Exercise, test: &TestOutcome) {
        let (mark, style, note) = match test.status {
            TestStatus::Passed => ("✓", GREEN, ""),
            TestStatus::Failed => ("✗", RED, ""),
            TestStatus::TimedOut => ("✗", YELLOW, " (timed out)"),
            TestStatus::Crashed => ("✗", RED, " (crashed)"),
        };
        let label = self.category_label(test);
        let _ = writeln!(self.out, "  {style}{mark}{style:#} {}{DIM}{note}{label}{DIM:#}", test.name);
        if test.status == TestStatus::Passed {
            return;
        }
        if self.last_message.as_deref() == Some(test.message.as_str()) {
            let _ = writeln!(self.out, "      {DIM}(same as above){DIM:#}");
            return;
        }
        let _ = writeln!(self.out, "{}", indent(&test.message, "      "));
        if let Some(loc) = test.location.as_ref().filter(|loc| !test.message.contains(loc.as_str())) {
            let _ = writeln!(self.out, "      {DIM}at {loc}{DIM:#}");
        }
        if !test.stderr_tail.trim().is_empty() {
            let _ = writeln!(self.out, "      {DIM}its last output:{DIM:#}");
            let _ = writeln!(self.out, "{DIM}{}{DIM:#}", indent(test.stderr_tail.trim_end(), "      │ "));
        }
        self.explain_category(ex, test);
        self.last_message = Some(test.message.clone());
    }

    fn exercise_finished(&mut self, course: &Course, ex: &Exercise, outcome: &ExerciseOutcome) {
        let readme = course.display_path(&course.exercise_dir(ex).join("README.md")).into_owned();
        match outcome.status {
            ExerciseStatus::Passed => {
                let _ = writeln!(
                    self.out,
                    "{GREEN}✓ {} passes:{GREEN:#} all {} hidden tests.",
                    ex.name,
                    outcome.tests.len()
                );
            }
            ExerciseStatus::Failed => {
                let _ = writeln!(
                    self.out,
                    "{RED}✗ {}:{RED:#} {} of {} hidden tests pass. Reread {readme}, or run `cargo xtask hint {}`.",
                    ex.name,
                    outcome.passed_count(),
                    outcome.tests.len(),
                    ex.name
                );
            }
            ExerciseStatus::CompileError => {
                let _ = writeln!(self.out, "{RED}✗ {} does not compile:{RED:#}\n", ex.name);
                if let Some(text) = &outcome.compiler_output {
                    let _ = writeln!(self.out, "{}", text.trim_end());
                }
                // A refusal to build explains itself; the hint is for rustc's errors.
                if !outcome.compiler_output.as_deref().is_some_and(crate::reach::is_refusal) {
                    let _ = writeln!(
                        self.out,
                        "\n{DIM}The hidden tests need the public API exactly as the exercise's doc comments give \
                         it.{DIM:#}"
                    );
                }
            }
        }
    }

    fn summary(&mut self, course: &Course, passed: usize, _checked: usize, next: Option<&Exercise>) {
        let total = course.exercises.len();
        let _ = write!(self.out, "\n{BOLD}Progress: {passed}/{total} exercises pass.{BOLD:#}");
        match next {
            Some(ex) => {
                let path = course.display_path(&course.exercise_dir(ex).join("src/lib.rs")).into_owned();
                let _ = writeln!(self.out, " Next: {} ({path}).", ex.name);
            }
            None if passed == total => {
                let _ = writeln!(self.out, " Every exercise passes. Well done!");
            }
            None => {
                let _ = writeln!(self.out);
            }
        }
        let _ = self.out.flush();
    }
}

/// One JSON object per line, for programs.
pub struct JsonLines {
    out: std::io::Stdout,
}

impl JsonLines {
    pub fn new() -> Self {
        JsonLines { out: std::io::stdout() }
    }

    fn emit(&mut self, value: serde_json::Value) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }
}

impl Reporter for JsonLines {
    fn exercise_started(&mut self, _: &Course, _: &Exercise) {}

    fn exercise_remembered(&mut self, _course: &Course, ex: &Exercise) {
        self.emit(json!({
            "format_version": 1, "type": "exercise", "name": ex.name, "dir": ex.dir,
            "status": "passed", "remembered": true,
        }));
    }

    fn test_finished(&mut self, _course: &Course, ex: &Exercise, test: &TestOutcome) {
        let mut value = serde_json::to_value(test).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("format_version".into(), 1.into());
            obj.insert("type".into(), "test".into());
            obj.insert("exercise".into(), ex.name.clone().into());
        }
        self.emit(value);
    }

    fn exercise_finished(&mut self, _course: &Course, _ex: &Exercise, outcome: &ExerciseOutcome) {
        let mut value = json!({
            "format_version": 1, "type": "exercise", "name": outcome.name, "dir": outcome.dir,
            "status": outcome.status, "passed": outcome.passed_count(), "total": outcome.tests.len(),
            "build_ms": outcome.build_duration.as_millis() as u64,
        });
        if let Some(text) = &outcome.compiler_output {
            value["compiler_output"] = text.clone().into();
        }
        self.emit(value);
    }

    fn summary(&mut self, course: &Course, passed: usize, checked: usize, next: Option<&Exercise>) {
        self.emit(json!({
            "format_version": 1, "type": "summary", "passed_exercises": passed,
            "total_exercises": course.exercises.len(), "checked": checked,
            "next": next.map(|e| e.name.clone()),
        }));
    }
}
