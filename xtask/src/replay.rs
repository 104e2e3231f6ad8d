//! `cargo xtask replay EXERCISE TEST SCHEDULE`: runs one schedule-exploration
//! test under exactly the schedule a failure printed, against the learner's
//! sources (or `--source`), and shows what `check` would: the same failure,
//! every time.

use crate::engine::course::Course;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise, as `check` takes it (`wait_group`, `02`).
    pub exercise: String,
    /// The exploration test whose failure printed the schedule.
    pub test: String,
    /// The encoded schedule, as printed after "replay it:".
    pub schedule: String,
    /// Judge these sources instead of the learner's (as `check --source`).
    #[arg(long, value_name = "PATH")]
    pub source: Option<PathBuf>,
    /// Output format, as `check --format`.
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::check::Format,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let ex = course.find(&args.exercise)?;
    if !course.has_exploration_tier(ex) {
        return Err(crate::exit::Usage(format!(
            "`{}` has no schedule-exploration tests (tests/{}/explore.rs); replay is for their failures",
            ex.name, ex.dir
        ))
        .into());
    }
    if args.schedule.is_empty() || !args.schedule.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(
            crate::exit::Usage("a schedule is the string of hex digits printed after `replay it:`".into()).into()
        );
    }
    // The test process inherits this; testkit::explore then runs this one
    // schedule instead of exploring. SAFETY: no other thread runs yet.
    unsafe { std::env::set_var("THREADWORK_REPLAY_SCHEDULE", &args.schedule) };
    crate::check::run(
        course,
        crate::check::Args {
            exercises: vec![args.exercise],
            format: args.format,
            all: false,
            jobs: Some(1),
            source: args.source,
            tests: vec![args.test],
        },
    )
}
