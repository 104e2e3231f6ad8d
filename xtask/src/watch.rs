//! `cargo xtask watch`: check the exercise being edited each time it is saved.

use crate::check::{check_exercise, exercise_of_path};
use crate::engine::course::{Course, Exercise};
use crate::engine::judge::Sources;
use crate::progress::{Progress, fingerprint};
use crate::report::{Human, Reporter};
use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start with this exercise instead of the first one not yet passed.
    pub exercise: Option<String>,
    /// Test processes to run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
}

/// Editors save in bursts (write, rename, touch); wait this long for quiet.
const SETTLE: Duration = Duration::from_millis(250);

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let jobs = args.jobs.unwrap_or_else(crate::engine::process::default_jobs);
    let mut progress = Progress::load(course);
    let first = match &args.exercise {
        Some(key) => Some(course.find(key)?),
        None => progress.summary(course).1,
    };
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).context("cannot watch files on this system")?;
    watcher
        .watch(&course.root.join("exercises"), RecursiveMode::Recursive)
        .context("cannot watch the exercises folder")?;

    let mut reporter = Human::new(crate::engine::category::Catalogue::load(course)?);
    let mut check = |ex: &Exercise, progress: &mut Progress| -> Result<()> {
        // Taken before the build, as in `check`: the verdict is for what was judged.
        let judged = fingerprint(course, ex);
        let outcome = check_exercise(course, ex, &Sources::Learner, &[], jobs, true, &mut reporter)?;
        progress.record(course, ex, judged, &outcome);
        let (passed, next) = progress.summary(course);
        reporter.summary(course, passed, 1, next);
        println!("Watching exercises/ for saves. Ctrl-C stops.");
        Ok(())
    };
    match first {
        Some(ex) => check(ex, &mut progress)?,
        None => println!("Every exercise passes. Watching exercises/ for saves anyway. Ctrl-C stops."),
    }
    loop {
        let event = rx.recv().context("the file watcher stopped")?;
        let mut touched: Vec<&Exercise> = Vec::new();
        let mut note = |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    return;
                }
                for path in &event.paths {
                    if let Some(ex) = exercise_of_path(course, path)
                        && !touched.iter().any(|t| t.name == ex.name)
                    {
                        touched.push(ex);
                    }
                }
            }
        };
        note(event);
        while let Ok(more) = rx.recv_timeout(SETTLE) {
            note(more);
        }
        for ex in touched {
            check(ex, &mut progress)?;
        }
    }
}
