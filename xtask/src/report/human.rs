//! `Human`: the text people read in a terminal.

use super::{Reporter, explain};
use crate::engine::category::Catalogue;
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome, TestStatus};
use anstyle::{AnsiColor, Style};
use std::io::Write;

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
    fn category_label(&self, ex: &Exercise, test: &TestOutcome) -> String {
        explain(&self.catalogue, test, ex).map(|e| e.label()).unwrap_or_default()
    }

    /// The first failure, whole.
    fn explain_first(&mut self, ex: &Exercise, test: &TestOutcome) {
        let label = self.category_label(ex, test);
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
        if let Some(explained) = explain(&self.catalogue, test, ex)
            && let Some(lesson) = explained.lesson
        {
            let _ = writeln!(self.out, "\n    {BOLD}{}:{BOLD:#} {}", explained.title, lesson.explanation);
            let _ = writeln!(self.out, "    Reread {}.", lesson.reread);
        }
    }

    /// Every other failure, a line each: its name, its kind and the first
    /// line of what it saw.
    fn list_others(&mut self, ex: &Exercise, others: &[TestOutcome]) {
        if others.is_empty() {
            return;
        }
        let _ = writeln!(self.out, "\n{BOLD}Also failing ({}):{BOLD:#}", others.len());
        for test in others {
            let label = self.category_label(ex, test);
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

    fn test_finished(&mut self, _course: &Course, ex: &Exercise, test: &TestOutcome) {
        let (mark, style, note) = match test.status {
            TestStatus::Passed => ("✓", GREEN, ""),
            TestStatus::Failed => ("✗", RED, ""),
            TestStatus::TimedOut => ("✗", YELLOW, " (timed out)"),
            TestStatus::Crashed => ("✗", RED, " (crashed)"),
            TestStatus::NotRun => ("·", DIM, " (not run)"),
        };
        let label = self.category_label(ex, test);
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
                    self.list_others(ex, others);
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
