//! `cargo xtask hint EXERCISE`: the exercise's hints, gentlest first.

use crate::engine::course::Course;
use anyhow::Result;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise, by crate name, folder or number.
    pub exercise: String,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let ex = course.find(&args.exercise)?;
    let mut out = anstream::stdout();
    let bold = anstyle::Style::new().bold();
    writeln!(out, "{bold}Hints for {:02} {}{bold:#}", course.number(ex), ex.name)?;
    if ex.hints.is_empty() {
        writeln!(out, "This exercise has no hints; its README.md is the place to look.")?;
    }
    for (i, hint) in ex.hints.iter().enumerate() {
        writeln!(out, "\n{}. {}", i + 1, hint.trim())?;
    }
    let readme = course.exercise_dir(ex).join("README.md");
    writeln!(out, "\nThe lesson: {}", course.display_path(&readme))?;
    Ok(crate::exit::OK)
}
