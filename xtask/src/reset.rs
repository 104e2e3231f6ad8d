//! `cargo xtask reset EXERCISE`: put the stub back.
//!
//! `exercises/info.toml` records the git blob id of each stub file, so the
//! stub can be taken from the clone's own history even after the learner
//! committed their work over it.

use crate::engine::course::Course;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise, by crate name, folder or number.
    pub exercise: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let ex = course.find(&args.exercise)?;
    if ex.stub.is_empty() {
        bail!("exercises/info.toml records no stub for `{}`, so it cannot be reset", ex.name);
    }
    let dir = course.exercise_dir(ex);
    // Read every stub file first, so a missing one changes nothing.
    let mut restored = Vec::new();
    for (file, blob) in &ex.stub {
        let output = Command::new("git")
            .args(["cat-file", "blob", blob])
            .current_dir(&course.root)
            .output()
            .context("cannot run git, which reset needs to find the original stub")?;
        if !output.status.success() {
            bail!(
                "the original {} (git object {blob}) is not in this clone's history; \
                 copy it from a fresh clone of the course instead",
                file
            );
        }
        restored.push((dir.join(file), output.stdout));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(crate::exit::Usage(
                "reset would overwrite your work and nobody is there to confirm: pass --yes".into(),
            )
            .into());
        }
        let names: Vec<String> = restored.iter().map(|(p, _)| course.display_path(p).into_owned()).collect();
        print!("Overwrite {} with the original stub? Your changes there will be lost. [y/N] ", names.join(", "));
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing changed.");
            return Ok(crate::exit::OK);
        }
    }
    for (path, bytes) in &restored {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("restored {}", course.display_path(path));
    }
    Ok(crate::exit::OK)
}
