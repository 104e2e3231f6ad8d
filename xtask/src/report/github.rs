//! `Github`: GitHub Actions workflow commands.

use super::{Reporter, explain};
use crate::engine::category::Catalogue;
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome, TestStatus};
use std::io::Write;

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
        if let Some(explained) = explain(&self.catalogue, test, ex) {
            title.push_str(&explained.label());
            if let Some(lesson) = explained.lesson {
                message
                    .push_str(&format!("\n\n{}: {}\nReread {}.", explained.title, lesson.explanation, lesson.reread));
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
