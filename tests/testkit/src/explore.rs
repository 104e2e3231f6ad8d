//! Schedule exploration: a test body run many times, each time under a
//! different interleaving that a scheduler picks on purpose.
//!
//! The tier's tests are built against a copy of the learner's crate in
//! which `std::sync` and `std::thread` mean shuttle's versions (see
//! `xtask/src/engine/explore.rs`), so every lock, wait, notify, atomic access and
//! spawn in the learner's code is a point where shuttle may switch threads.
//! [`explore`] runs the body under PCT (which finds bugs that need a few
//! specific preemptions) and then under uniformly random scheduling, both
//! seeded from the test's name and [`SUITE_SEED`](crate::property::SUITE_SEED):
//! the same code gets the same verdict every run.
//!
//! A failing schedule is reported with its encoded form and the command
//! that replays it; with [`REPLAY_ENV`] set, [`explore`] runs only that
//! schedule.

/// The virtual clock the exploration build runs on: `Instant` and `sleep`
/// for a test's own threads, the same clock the learner's
/// `std::time::Instant`, `std::thread::sleep` and timed waits use there.
/// Time moves only when no thread can run, to the earliest deadline (see
/// tests/crossbeam-model).
pub mod time {
    pub use crossbeam_model::time::{Instant, sleep};
}

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
    if replaying {
        // Replaying one schedule can afford shuttle's backtraces of blocked
        // threads (exploring with them costs about three times as much), and
        // they say where each thread waited. SAFETY: set before shuttle runs,
        // on the test's own thread, which starts no other before this.
        unsafe { std::env::set_var("SHUTTLE_CAPTURE_BACKTRACE", "1") };
    }
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
        let said = match summarize_blocked(said) {
            Some(summary) => summary,
            None => said.to_string(),
        };
        let mut message = format!("{explanation}\n  under {what}, this schedule failed: {said}");
        match newest_schedule(&folder) {
            Some(schedule) if replaying => drop(schedule),
            Some(schedule) if schedule.len() <= LONGEST_REPLAY => message.push_str(&format!(
                "\n  replay it: cargo xtask replay {exercise} {test} {schedule}\n  (the same code fails the same \
                 way on every run: the schedules come from a fixed seed; the replay also shows where each blocked \
                 thread waited)"
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

/// Shuttle's report of a deadlock with backtraces (`deadlock! blocked
/// tasks: [NAME (task ...)\nBacktrace:\n   0: frame\n at place ...`), in
/// a few lines: each blocked thread, what it waited in and the learner's
/// lines (frames in the rewritten copy under `explore-sources/`, which the
/// runner names by the learner's own files). `None` when there are no
/// backtraces to read.
fn summarize_blocked(said: &str) -> Option<String> {
    let (head, _) = said.split_once("\nBacktrace:")?;
    let mut blocks = said.split("\nBacktrace:");
    let mut previous = blocks.next()?;
    let mut lines = Vec::new();
    for block in blocks {
        let name = match previous.rfind(" (task ") {
            Some(end) => {
                let start = previous[..end].rfind(['[', ',']).map_or(0, |i| i + 1);
                let name = previous[start..end].trim();
                // An unnamed thread: say which task it was.
                let task = previous[end + 7..].split([',', ')']).next().unwrap_or("");
                if name == "<unknown>" { format!("an unnamed thread (task {task}))") } else { name.to_string() }
            }
            None => "a thread".to_string(),
        };
        let frames = frames(block);
        let learner: Vec<usize> = (0..frames.len())
            .filter(|&i| frames[i].1.as_deref().is_some_and(|p| p.contains("explore-sources/")))
            .collect();
        match learner.first() {
            Some(&first) => {
                let waiting = frames[..first]
                    .iter()
                    .rev()
                    .find_map(|(_, place)| place.as_deref().and_then(waiting_in))
                    .unwrap_or("blocked");
                lines.push(format!("    {name}: {waiting} at {}", frames[first].1.as_deref().unwrap_or("?")));
                for &i in learner.iter().skip(1).take(2) {
                    lines.push(format!(
                        "        called from {} ({})",
                        frames[i].1.as_deref().unwrap_or("?"),
                        short(&frames[i].0)
                    ));
                }
            }
            None => lines.push(format!("    {name}: blocked outside your code")),
        }
        previous = block;
    }
    let verdict = head.split(" blocked tasks").next().unwrap_or(head).trim_end_matches(':');
    Some(format!("{verdict} every thread was blocked:\n{}", lines.join("\n")))
}

/// `(function, place)` for each frame of a backtrace, innermost first.
fn frames(block: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for line in block.lines() {
        let line = line.trim();
        if let Some(place) = line.strip_prefix("at ") {
            if let Some(last) = out.last_mut() {
                last.1 = Some(place.trim().to_string());
            }
        } else if let Some((number, function)) = line.split_once(": ")
            && number.chars().all(|c| c.is_ascii_digit())
            && !number.is_empty()
        {
            out.push((function.to_string(), None));
        }
    }
    out
}

/// What a frame in shuttle's library, or in the crossbeam-channel model,
/// was waiting in, in words.
fn waiting_in(place: &str) -> Option<&'static str> {
    if place.contains("crossbeam-model/src/") {
        return [
            ("select.rs", "waiting in select!"),
            ("channel.rs", "waiting on a channel"),
            ("clock.rs", "asleep"),
            ("condvar.rs", "waiting in Condvar::wait"),
            ("mpsc.rs", "waiting on a channel"),
        ]
        .into_iter()
        .find(|(file, _)| place.contains(file))
        .map(|(_, words)| words);
    }
    if !place.contains("shuttle-std") {
        return None;
    }
    [
        ("mutex.rs", "blocked in Mutex::lock"),
        ("condvar.rs", "waiting in Condvar::wait"),
        ("rwlock.rs", "blocked in an RwLock"),
        ("barrier.rs", "waiting in Barrier::wait"),
        ("mpsc.rs", "waiting on a channel"),
        ("thread.rs", "waiting in join"),
        ("once.rs", "waiting in Once"),
    ]
    .into_iter()
    .find(|(file, _)| place.contains(file))
    .map(|(_, words)| words)
}

/// A function's name without its path, generics and hash.
fn short(function: &str) -> &str {
    let function = function.split('<').next().unwrap_or(function);
    let mut parts: Vec<&str> = function.split("::").collect();
    if parts.last().is_some_and(|p| p.starts_with('h') && p.len() == 17) {
        parts.pop();
    }
    parts.last().copied().unwrap_or(function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_in_the_channel_model_is_named_by_what_it_waits_for() {
        assert_eq!(waiting_in("/c/tests/crossbeam-model/src/select.rs:95:9"), Some("waiting in select!"));
        assert_eq!(waiting_in("/c/tests/crossbeam-model/src/channel.rs:480:20"), Some("waiting on a channel"));
        assert_eq!(waiting_in("/r/shuttle-std-0.1.5/src/sync/condvar.rs:165:9"), Some("waiting in Condvar::wait"));
        assert_eq!(waiting_in("/c/target/threadwork/explore-sources/x/lib.rs:3:1"), None);
    }

    #[test]
    fn a_deadlock_report_reads_as_each_thread_and_the_learners_lines() {
        let said = "deadlock! blocked tasks: [main-thread (task main-thread(0), pending future)\nBacktrace:\n   \
                    7: acquire_blocking\n   8: lock<u64>\n             at /r/shuttle-std-0.1.5/src/sync/mutex.rs:72:32\n   \
                    9: lock\n             at /c/target/threadwork/explore-sources/x/lib.rs:29:32\n  10: \
                    bank::Bank::transfer\n             at /c/target/threadwork/explore-sources/x/lib.rs:51:35\n  \
                    11: opposite\n, worker (task 1)\nBacktrace:\n   0: block\n   1: wait<usize>\n             at \
                    /r/shuttle-std-0.1.5/src/sync/condvar.rs:165:9\n   2: wait\n             at \
                    /c/target/threadwork/explore-sources/x/lib.rs:49:31\n]";
        assert_eq!(
            summarize_blocked(said).unwrap(),
            "deadlock! every thread was blocked:\n    main-thread: blocked in Mutex::lock at \
             /c/target/threadwork/explore-sources/x/lib.rs:29:32\n        called from \
             /c/target/threadwork/explore-sources/x/lib.rs:51:35 (transfer)\n    worker: waiting in Condvar::wait at \
             /c/target/threadwork/explore-sources/x/lib.rs:49:31"
        );
        assert_eq!(summarize_blocked("deadlock! blocked tasks: [main-thread (task 0)]"), None);
    }
}
