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

use crate::engine::category::Catalogue;
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome, TestStatus};
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
    /// Something about the run that is not a test's verdict (a tier that
    /// could not run). On stderr unless the reporter shows it better.
    fn note(&mut self, _course: &Course, _ex: &Exercise, text: &str) {
        eprintln!("{text}");
    }
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Text for people, with colour when the terminal wants it: a line per
/// test as it ends, then, for a failed exercise, one screen: the first
/// failure in full (what the test saw, where, what kind of mistake and the
/// lesson section to reread), then the other failures a line each.
pub struct Human {
    out: anstream::AutoStream<std::io::Stdout>,
    catalogue: Catalogue,
    /// The exercise's failed tests so far, in declaration order.
    failures: Vec<TestOutcome>,
}

impl Human {
    pub fn new(catalogue: Catalogue) -> Self {
        Human { out: anstream::AutoStream::auto(std::io::stdout()), catalogue, failures: Vec::new() }
    }

    /// `[Lost update]` after a failed test's name.
    fn category_label(&self, test: &TestOutcome) -> String {
        match &test.category {
            Some(name) => format!(" [{}]", self.category_title(name)),
            None => String::new(),
        }
    }

    fn category_title<'a>(&'a self, name: &'a str) -> &'a str {
        self.catalogue.get(name).map_or(name, |e| e.title.as_str())
    }

    /// The first failure, whole.
    fn explain_first(&mut self, ex: &Exercise, test: &TestOutcome) {
        let label = self.category_label(test);
        let _ = writeln!(self.out, "\n{BOLD}First failure: {}{label}{BOLD:#}", test.name);
        let _ = writeln!(self.out, "{}", indent(&test.message, "    "));
        if let Some(loc) = test.location.as_ref().filter(|loc| !test.message.contains(loc.as_str())) {
            let _ = writeln!(self.out, "    {DIM}at {loc}{DIM:#}");
        }
        if !test.stderr_tail.trim().is_empty() {
            let _ = writeln!(self.out, "    {DIM}its last output:{DIM:#}");
            let _ = writeln!(self.out, "{DIM}{}{DIM:#}", indent(test.stderr_tail.trim_end(), "    │ "));
        }
        if test.message.contains("smallest failing input:") {
            let _ = writeln!(
                self.out,
                "    {DIM}Replay: its inputs come from a fixed seed, so `cargo xtask check {} --test {}` runs \
                 exactly these cases again, and only this test.{DIM:#}",
                ex.name, test.name
            );
        }
        if let Some(name) = &test.category
            && let Some(entry) = self.catalogue.get(name)
        {
            let reread = self.catalogue.reread(name, ex).unwrap_or_default();
            let _ = writeln!(self.out, "\n    {BOLD}{}:{BOLD:#} {}", entry.title, entry.explanation);
            let _ = writeln!(self.out, "    Reread {reread}.");
        }
    }

    /// Every other failure, a line each: its name, its kind and the first
    /// line of what it saw.
    fn list_others(&mut self, others: &[TestOutcome]) {
        if others.is_empty() {
            return;
        }
        let _ = writeln!(self.out, "\n{BOLD}Also failing ({}):{BOLD:#}", others.len());
        for test in others {
            let label = self.category_label(test);
            let first = test.message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let first = clip(first, 100);
            let _ = writeln!(self.out, "  {RED}✗{RED:#} {}{DIM}{label}{DIM:#}: {first}", test.name);
        }
    }
}

/// At most `max` characters of `text`, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}")).collect::<Vec<_>>().join("\n")
}

impl Reporter for Human {
    fn note(&mut self, _course: &Course, _ex: &Exercise, text: &str) {
        let _ = writeln!(self.out, "  {DIM}{text}{DIM:#}");
    }

    fn exercise_started(&mut self, course: &Course, ex: &Exercise) {
        self.failures.clear();
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

    fn test_finished(&mut self, _course: &Course, _ex: &Exercise, test: &TestOutcome) {
        let (mark, style, note) = match test.status {
            TestStatus::Passed => ("✓", GREEN, ""),
            TestStatus::Failed => ("✗", RED, ""),
            TestStatus::TimedOut => ("✗", YELLOW, " (timed out)"),
            TestStatus::Crashed => ("✗", RED, " (crashed)"),
            TestStatus::NotRun => ("·", DIM, " (not run)"),
        };
        let label = self.category_label(test);
        let _ = writeln!(self.out, "  {style}{mark}{style:#} {}{DIM}{note}{label}{DIM:#}", test.name);
        if test.status != TestStatus::Passed {
            self.failures.push(test.clone());
        }
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
                let failures = std::mem::take(&mut self.failures);
                if let Some((first, others)) = failures.split_first() {
                    self.explain_first(ex, first);
                    self.list_others(others);
                }
                let _ = writeln!(
                    self.out,
                    "\n{RED}✗ {}:{RED:#} {} of {} hidden tests pass. Reread {readme}, or run `cargo xtask hint {}`.",
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
                if outcome.build_failure != Some(crate::engine::judge::BuildFailure::Refused) {
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
        if let Some(built_in) = outcome.exploration_build_duration {
            value["exploration_build_ms"] = (built_in.as_millis() as u64).into();
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

/// GitHub Actions workflow commands: an `::error` annotation at the
/// learner's `file:line` for each failed test and each exercise that does
/// not compile, so that a pull request shows the mistake beside the line.
pub struct Github {
    out: std::io::Stdout,
    catalogue: Catalogue,
}

impl Github {
    pub fn new(catalogue: Catalogue) -> Self {
        Github { out: std::io::stdout(), catalogue }
    }

    fn annotate(&mut self, place: &str, title: &str, message: &str) {
        let (file, line) = match place.split_once(':') {
            Some((file, rest)) => (file, rest.split(':').next().unwrap_or("")),
            None => (place, ""),
        };
        let mut properties = format!("file={}", escape_property(file));
        if line.parse::<u32>().is_ok() {
            properties.push_str(&format!(",line={line}"));
        }
        properties.push_str(&format!(",title={}", escape_property(title)));
        let mut out = self.out.lock();
        let _ = writeln!(out, "::error {properties}::{}", escape_data(message.trim_end()));
        let _ = out.flush();
    }
}

/// The first `exercises/.../NAME.rs:LINE` in `text`: where in the learner's
/// code a message (or the stacks in it) points.
fn first_learner_place(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find("exercises/") {
        let candidate = &rest[i..];
        let end = candidate.find(|c: char| c.is_whitespace() || c == ')' || c == ',').unwrap_or(candidate.len());
        let place = candidate[..end].trim_end_matches(['.', ':']);
        if let Some((file, line)) = place.split_once(".rs:")
            && line.split(':').next().is_some_and(|l| l.parse::<u32>().is_ok())
        {
            return Some(format!("{file}.rs:{line}"));
        }
        rest = &candidate["exercises/".len()..];
    }
    None
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Reporter for Github {
    fn exercise_started(&mut self, _: &Course, _: &Exercise) {}

    fn exercise_remembered(&mut self, _: &Course, _: &Exercise) {}

    fn test_finished(&mut self, course: &Course, ex: &Exercise, test: &TestOutcome) {
        if test.status == TestStatus::Passed {
            return;
        }
        let lib = course.display_path(&course.exercise_dir(ex).join("src/lib.rs")).into_owned();
        let place = test
            .location
            .clone()
            .filter(|l| l.starts_with("exercises/"))
            .or_else(|| first_learner_place(&test.message))
            .unwrap_or(lib);
        let mut title = format!("{}: {}", ex.name, test.name);
        let mut message = test.message.clone();
        if let Some(name) = &test.category {
            match self.catalogue.get(name) {
                Some(entry) => {
                    title.push_str(&format!(" [{}]", entry.title));
                    let reread = self.catalogue.reread(name, ex).unwrap_or_default();
                    message.push_str(&format!("\n\n{}: {}\nReread {reread}.", entry.title, entry.explanation));
                }
                None => title.push_str(&format!(" [{name}]")),
            }
        }
        self.annotate(&place, &title, &message);
    }

    fn exercise_finished(&mut self, course: &Course, ex: &Exercise, outcome: &ExerciseOutcome) {
        if outcome.status != ExerciseStatus::CompileError {
            return;
        }
        let text = outcome.compiler_output.clone().unwrap_or_default();
        let lib = course.display_path(&course.exercise_dir(ex).join("src/lib.rs")).into_owned();
        let place = first_learner_place(&text).unwrap_or(lib);
        self.annotate(&place, &format!("{} does not compile", ex.name), &text);
    }

    fn summary(&mut self, course: &Course, passed: usize, _checked: usize, next: Option<&Exercise>) {
        let mut out = self.out.lock();
        let next = next.map(|e| format!(" Next: {}.", e.name)).unwrap_or_default();
        let _ = writeln!(out, "Progress: {passed}/{} exercises pass.{next}", course.exercises.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_learner_place_is_found_in_prose_and_stacks() {
        assert_eq!(
            first_learner_place("your code panicked at exercises/04_counter/src/lib.rs:12:9: boom").as_deref(),
            Some("exercises/04_counter/src/lib.rs:12:9")
        );
        assert_eq!(
            first_learner_place("thread 2: blocked in Mutex::lock at exercises/12_bank/src/lib.rs:58\n").as_deref(),
            Some("exercises/12_bank/src/lib.rs:58")
        );
        assert_eq!(first_learner_place("see exercises/04_counter/README.md, section x"), None);
    }

    #[test]
    fn workflow_command_text_is_escaped() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
    }
}
