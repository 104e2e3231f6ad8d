//! `cargo xtask list`: every exercise and where the learner stands on it.

use crate::engine::course::Course;
use crate::engine::outcome::ExerciseStatus;
use crate::progress::{Progress, Standing};
use anyhow::Result;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(course: &Course, _args: Args) -> Result<i32> {
    let progress = Progress::load(course);
    let mut out = anstream::stdout();
    let green = anstyle::AnsiColor::Green.on_default();
    let red = anstyle::AnsiColor::Red.on_default();
    let dim = anstyle::Style::new().dimmed();
    let width = course.exercises.iter().map(|e| e.dir.len()).max().unwrap_or(10);
    writeln!(out, "{:<width$}  {:<24}  tests", "exercise", "status")?;
    let mut passed = 0;
    for ex in &course.exercises {
        let (style, status, tests) = match progress.standing(course, ex) {
            Standing::NotChecked => (dim, "not checked yet".to_string(), String::new()),
            Standing::Changed => (dim, "changed since last check".to_string(), String::new()),
            Standing::Checked { status, passed: p, total } => {
                let tests = format!("{p}/{total}");
                match status {
                    ExerciseStatus::Passed => {
                        passed += 1;
                        (green, "passed".to_string(), tests)
                    }
                    ExerciseStatus::Failed => (red, "failing".to_string(), tests),
                    ExerciseStatus::CompileError => (red, "does not compile".to_string(), String::new()),
                }
            }
        };
        writeln!(out, "{:<width$}  {style}{status:<24}{style:#}  {tests}", ex.dir)?;
    }
    writeln!(out, "\nProgress: {passed}/{} exercises pass.", course.exercises.len())?;
    Ok(crate::exit::OK)
}
