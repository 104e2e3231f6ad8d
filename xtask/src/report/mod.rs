//! Reporters: they turn outcomes into what a person or a program reads.
//!
//! * [`Human`] (`human.rs`): text through `anstream`, which drops colour
//!   codes when the output is not a terminal or `NO_COLOR` is set;
//! * [`JsonLines`] (`json.rs`): one JSON object per line, for programs;
//!   `json.rs` defines every line and its fields;
//! * [`Github`] (`github.rs`): GitHub Actions `::error` annotations.
//!
//! What they share lives here: the [`Reporter`] trait, and how a failed
//! test's category reads to people ([`explain`]).

mod github;
mod human;
mod json;

pub use github::Github;
pub use human::Human;
pub use json::JsonLines;

use crate::engine::category::Catalogue;
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, TestOutcome};

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

/// A test's kind of mistake as people read it, from the catalogue.
struct Explained<'a> {
    /// The catalogue's title (`Lost update`), or the category's own name
    /// when the catalogue lacks it.
    title: &'a str,
    /// What the catalogue says about it; none when it lacks the category.
    lesson: Option<Lesson<'a>>,
}

/// The catalogue's words on a category, for the exercise that failed.
struct Lesson<'a> {
    /// Why this kind of mistake happens and how to mend it.
    explanation: &'a str,
    /// The lesson section to reread: `exercises/DIR/README.md, section “…”`.
    reread: String,
}

impl Explained<'_> {
    /// ` [Lost update]`, after a failed test's name.
    fn label(&self) -> String {
        format!(" [{}]", self.title)
    }
}

/// The category `test` names (none for a pass), explained for `ex`.
fn explain<'a>(catalogue: &'a Catalogue, test: &'a TestOutcome, ex: &Exercise) -> Option<Explained<'a>> {
    let name = test.category?.as_str();
    Some(match catalogue.get(name) {
        Some(entry) => Explained {
            title: &entry.title,
            lesson: Some(Lesson {
                explanation: &entry.explanation,
                reread: catalogue.reread(name, ex).unwrap_or_default(),
            }),
        },
        None => Explained { title: name, lesson: None },
    })
}
