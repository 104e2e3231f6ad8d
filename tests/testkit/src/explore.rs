//! Schedule exploration: a test body run many times, each time under a
//! different interleaving that a scheduler picks on purpose.
//!
//! The tier's tests are built against a copy of the learner's crate in
//! which `std::sync` and `std::thread` mean shuttle's versions (see
//! `xtask/src/explore.rs`), so every lock, wait, notify, atomic access and
//! spawn in the learner's code is a point where shuttle may switch threads.
//! [`explore`] runs the body under PCT (which finds bugs that need a few
//! specific preemptions) and then under uniformly random scheduling, both
//! seeded from the test's name and [`SUITE_SEED`](crate::property::SUITE_SEED):
//! the same code gets the same verdict every run.
//!
//! A failing schedule is reported with its encoded form and the command
//! that replays it; with [`REPLAY_ENV`] set, [`explore`] runs only that
//! schedule.

use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, Runner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Set to an encoded schedule, [`explore`] replays that schedule alone.
pub const REPLAY_ENV: &str = "THREADWORK_REPLAY_SCHEDULE";

/// Schedules longer than this (in characters) are not printed as a replay
/// command: a spin loop cut off after a million steps makes one of about
/// 760,000, more than a command line takes.
const LONGEST_REPLAY: usize = 2000;

/// How hard to look.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Executions under PCT.
    pub pct_runs: usize,
    /// PCT's depth: how many priority changes (preemptions) a schedule may
    /// have. Most concurrency bugs need one or two.
    pub pct_depth: usize,
    /// Executions under random scheduling.
    pub random_runs: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { pct_runs: 1000, pct_depth: 3, random_runs: 1000 }
    }
}

/// Runs `body` under many schedules (see the module documentation); panics
/// with `explanation`, what went wrong, the failing schedule and the
/// command that replays it when one schedule fails. `exercise` and `test`
/// name the test for that command.
#[track_caller]
pub fn explore<F>(exercise: &str, test: &str, budget: Budget, explanation: &str, body: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let body = std::sync::Arc::new(body);
    let replaying = std::env::var_os(REPLAY_ENV).is_some();
    let run = |scheduler: Box<dyn Scheduler + Send>, what: String| -> Result<(), String> {
        let folder = schedule_folder(test);
        let mut config = Config::new();
        config.failure_persistence = FailurePersistence::File(Some(folder.clone()));
        config.silence_warnings = true;
        let body = body.clone();
        let ended = catch_unwind(AssertUnwindSafe(|| Runner::new(scheduler, config).run(move || body())));
        let Err(payload) = ended else { return Ok(()) };
        let said = crate::harness::payload_message(payload.as_ref());
        let said = said.trim();
        if replaying && said.contains("schedule ended early") {
            return Err(format!(
                "this schedule no longer fits the code: it was recorded for code that made other calls, so \
                 replaying it here says nothing about this code. Run `cargo xtask check {exercise} --test {test}` \
                 to explore this code afresh."
            ));
        }
        let mut message = format!("{explanation}\n  under {what}, this schedule failed: {said}");
        match newest_schedule(&folder) {
            Some(schedule) if replaying => drop(schedule),
            Some(schedule) if schedule.len() <= LONGEST_REPLAY => message.push_str(&format!(
                "\n  replay it: cargo xtask replay {exercise} {test} {schedule}\n  (the same code fails the same \
                 way on every run: the schedules come from a fixed seed)"
            )),
            // A thread that never stops (a spin loop shuttle cut off)
            // makes a schedule too long for a command line.
            _ => message.push_str(&format!(
                "\n  the schedules come from a fixed seed: `cargo xtask check {exercise} --test {test}` fails the \
                 same way again"
            )),
        }
        Err(message)
    };
    let verdict = if let Ok(schedule) = std::env::var(REPLAY_ENV) {
        run(Box::new(ReplayScheduler::new_from_encoded(schedule.trim())), "the schedule given to replay".into())
    } else {
        let seed = seed_for(test);
        run(
            Box::new(PctScheduler::new_from_seed(seed, budget.pct_depth, budget.pct_runs)),
            format!("schedule exploration (PCT, depth {}, seed {seed:#x})", budget.pct_depth),
        )
        .and_then(|()| {
            run(
                Box::new(RandomScheduler::new_from_seed(seed ^ 0x5eed, budget.random_runs)),
                format!("schedule exploration (random, seed {:#x})", seed ^ 0x5eed),
            )
        })
    };
    if let Err(message) = verdict {
        panic!("{message}");
    }
}

/// A seed fixed by the suite and the test's name.
fn seed_for(test: &str) -> u64 {
    test.bytes().fold(crate::property::SUITE_SEED, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Where shuttle writes a failing schedule: the test's scratch folder.
fn schedule_folder(test: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("schedules-{test}"));
    let _ = std::fs::create_dir_all(&folder);
    folder
}

fn newest_schedule(folder: &std::path::Path) -> Option<String> {
    let newest = std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()?
        .1;
    std::fs::read_to_string(newest).ok().map(|s| s.trim().to_string())
}
