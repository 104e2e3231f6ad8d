//! `cargo xtask grade`: score many submissions with the hidden tests.
//!
//! intake (find and read submissions) → suite (tests + private overlay,
//! hashed) → submission (judge and score one submission) → a cached result
//! per submission under `OUT/results/` → reports (every file in `OUT/`,
//! all written from one `model::GradeReport`).

pub mod intake;
pub mod model;
pub mod reports;
pub mod shard;
pub mod submission;
pub mod suite;

use crate::engine::course::Course;
use anyhow::{Context, Result};
use model::{GradeReport, RunInfo, SubmissionResult, SubmissionStatus};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each SUBMISSION is a learner's checkout: a folder, a .zip or a .tar.gz/.tgz with exercises/ at \
its root or one folder down, or a folder holding many of those. Only exercises/NN_name/src/**/*.rs \
is read from it.

Writes OUT/report.json, OUT/grades.csv, OUT/junit.xml and OUT/gradescope/<id>/results.json. \
Each submission's result is kept in OUT/results/ as soon as it is graded: run the same command \
again after an interruption and only what was unfinished is graded.

`--prepare` grades nothing: it builds every exercise's hidden tests against its stub, which \
compiles every dependency, so that a container image or an autograder set-up can grade later at \
once and with no network (deploy/prepare.sh runs it after `cargo fetch`).

Exit status: 0 the batch was graded (whatever the scores), 2 bad command line, 3 the grader \
itself failed (a submission it could not grade is named in the report).")]
pub struct Args {
    /// Submissions: folders, .zip, .tar.gz/.tgz, or folders of them.
    #[arg(required_unless_present = "prepare", value_name = "SUBMISSION")]
    pub submissions: Vec<PathBuf>,
    /// Where the reports go.
    #[arg(long, value_name = "DIR", required_unless_present = "prepare")]
    pub out: Option<PathBuf>,
    /// Grade nothing: build the suite (every exercise's hidden tests against
    /// its stub, and so every dependency) and exit.
    #[arg(long, conflicts_with_all = ["submissions", "out", "jobs", "shard", "shard_count", "time_budget"])]
    pub prepare: bool,
    /// Private tests laid over the hidden ones: DIR/NN_name/*.rs adds or
    /// replaces files of tests/NN_name/.
    #[arg(long, value_name = "DIR")]
    pub tests: Option<PathBuf>,
    /// Submissions graded at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Grade only shard I of N (1-based), a deterministic subset.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_count")]
    pub shard: Option<String>,
    /// Grade one of N shards, the index read from JOB_COMPLETION_INDEX
    /// (Kubernetes) or SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<usize>,
    /// Finish within this much wall time (`300`, `90s`, `4m30s`, `1h`):
    /// every test still runs once, but confirmation runs stop early, shared
    /// out among the submissions, and what was cut short is said in every
    /// report.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time_budget: Option<Duration>,
}

/// `300`, `90s`, `4m30s`, `1h`, `1.5m`, `500ms`: a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration: write it as 300, 90s, 4m30s or 1h");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|_| bad());
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let number: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        total += number
            * match &rest[..unit_end] {
                "h" => 3600.0,
                "m" | "min" => 60.0,
                "s" => 1.0,
                "ms" => 0.001,
                _ => return Err(bad()),
            };
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// A `--time-budget`: when the whole run must be done, and how many
/// submissions still share what is left of it.
struct TimeBudget {
    ends: Instant,
    /// Kept for writing the reports and leaving.
    reserve: Duration,
    /// Submissions of this run not graded yet (those being graded included).
    unfinished: AtomicUsize,
}

impl TimeBudget {
    /// When a submission whose first runs are done must end its
    /// confirmation runs: what is left of the budget, shared by the
    /// unfinished submissions as the slots will grade them.
    fn confirm_until(&self, slots: usize) -> Instant {
        let now = Instant::now();
        let left = self.ends.saturating_duration_since(now).saturating_sub(self.reserve);
        let rounds = self.unfinished.load(Ordering::SeqCst).div_ceil(slots.max(1)).max(1);
        now + left / rounds as u32
    }
}

/// What `OUT/results/<id>.json` holds: a result and what it was graded from.
#[derive(Serialize, Deserialize)]
struct CachedResult {
    content_hash: String,
    suite_hash: String,
    result: SubmissionResult,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let began = Instant::now();
    if args.prepare {
        return prepare_only(course, args.tests.as_deref());
    }
    let out = args.out.clone().expect("clap requires --out without --prepare");
    let jobs = args.jobs.unwrap_or_else(crate::engine::process::default_jobs).max(1);
    let shard = shard::Shard::from_args(args.shard.as_deref(), args.shard_count)?;
    let started = crate::timestamp::now_rfc3339();
    let candidates = intake::discover(&args.submissions).map_err(|e| crate::exit::Usage(format!("{e:#}")))?;
    let all_ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
    let mine: Vec<intake::Candidate> =
        candidates.into_iter().enumerate().filter(|(i, _)| shard.includes(*i)).map(|(_, c)| c).collect();

    let _one_grader = one_grader_at_a_time(course)?;
    eprintln!("preparing the suite (the hidden tests{})", if args.tests.is_some() { " and --tests" } else { "" });
    let suite = suite::prepare(course, args.tests.as_deref(), suite::Lists::ReuseKept)?;
    let results_dir = out.join("results");
    std::fs::create_dir_all(&results_dir).with_context(|| format!("cannot create {}", results_dir.display()))?;
    let staging = course.work_dir().join("grade/staging");

    let bar = progress_bar(mine.len() as u64);
    let next = AtomicUsize::new(0);
    let graded: Mutex<Vec<SubmissionResult>> = Mutex::new(Vec::new());
    let grader_failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let reused = AtomicUsize::new(0);
    let slots = jobs.min(mine.len().max(1));
    let busy_slots = AtomicUsize::new(slots);
    let tests_at_once = || (jobs / busy_slots.load(Ordering::SeqCst).max(1)).max(1);
    let cpus = crate::engine::process::cpu_capacity().min(jobs as f64);
    let cpus_per_slot = || cpus / busy_slots.load(Ordering::SeqCst).max(1) as f64;
    let budget = args.time_budget.map(|budget| TimeBudget {
        ends: began + budget,
        reserve: (budget / 20).min(Duration::from_secs(10)),
        unfinished: AtomicUsize::new(mine.len()),
    });
    let confirm_until = || budget.as_ref().map(|b| b.confirm_until(slots));
    std::thread::scope(|s| {
        for index in 0..slots {
            let (mine, suite, staging, results_dir) = (&mine, &suite, &staging, &results_dir);
            let (next, graded, grader_failures, reused, bar) = (&next, &graded, &grader_failures, &reused, &bar);
            let busy_slots = &busy_slots;
            let slot = submission::Slot {
                index,
                tests_at_once: &tests_at_once,
                cpus: &cpus_per_slot,
                confirm_until: &confirm_until,
            };
            let budget = &budget;
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(candidate) = mine.get(i) else { break };
                    bar.set_message(candidate.id.clone());
                    let result = grade_one(course, suite, candidate, staging, results_dir, slot, reused);
                    let result = result.unwrap_or_else(|e| {
                        let error = format!("the grader failed on this submission (not the learner's fault): {e:#}");
                        grader_failures.lock().unwrap().push(format!("{}: {error}", candidate.id));
                        invalid(candidate, error)
                    });
                    graded.lock().unwrap().push(result);
                    if let Some(b) = budget {
                        b.unfinished.fetch_sub(1, Ordering::SeqCst);
                    }
                    bar.inc(1);
                }
                busy_slots.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    bar.finish_and_clear();

    let mut submissions = graded.into_inner().unwrap();
    submissions.sort_by(|a, b| a.id.cmp(&b.id));
    let report = GradeReport {
        format_version: model::FORMAT_VERSION,
        suite: model::Suite {
            version: env!("CARGO_PKG_VERSION").to_string(),
            tests_hash: suite.hash.clone(),
            property_seed: suite.property_seed.clone(),
        },
        run: RunInfo {
            started,
            grader_version: env!("CARGO_PKG_VERSION").to_string(),
            toolchain: crate::toolchain::version_line(),
            jobs,
            guarantee: crate::engine::confirm::Policy::from_course(course).guarantee(),
            time_budget_secs: args.time_budget.map(|b| b.as_secs_f64()),
            sandbox: crate::engine::sandbox::Sandbox::here().report(),
            shard: shard.label(),
            candidates: all_ids,
        },
        submissions,
    };
    reports::write_all(&report, &out)?;
    print!("{}", reports::summary_table(&report));
    let reused = reused.into_inner();
    println!(
        "graded {} submission{} ({} from earlier runs); reports in {}",
        report.submissions.len(),
        if report.submissions.len() == 1 { "" } else { "s" },
        reused,
        out.display()
    );
    let cut_short: Vec<&str> = report
        .submissions
        .iter()
        .filter(|s| s.exercises.iter().any(model::ExerciseResult::cut_short))
        .map(|s| s.id.as_str())
        .collect();
    if !cut_short.is_empty() {
        println!(
            "the time budget cut confirmation short for {} submission{} ({}): their scores may rest on luck, \
             and report.json says where (`established`); grade them again with more time to settle them",
            cut_short.len(),
            if cut_short.len() == 1 { "" } else { "s" },
            cut_short.join(", ")
        );
    }
    let failures = grader_failures.into_inner().unwrap();
    for f in &failures {
        eprintln!("error: {f}");
    }
    Ok(if failures.is_empty() { crate::exit::OK } else { crate::exit::INTERNAL })
}

/// The suite folder, the build slots and their scratch folders belong to
/// the course checkout: a second grader there would overwrite them under the
/// first one's feet, so graders of one checkout take turns.
fn one_grader_at_a_time(course: &Course) -> Result<crate::engine::filelock::FileLock> {
    let lock_path = course.work_dir().join("grade/grader.lock");
    Ok(match crate::engine::filelock::try_lock(&lock_path)? {
        Some(lock) => lock,
        None => {
            eprintln!(
                "waiting for the other `cargo xtask grade` running in this course checkout to finish \
                 (to grade shards at the same time, use one clone of the course for each)"
            );
            crate::engine::filelock::lock(&lock_path)?
        }
    })
}

/// `grade --prepare`: build what every later grading needs, grade nothing.
fn prepare_only(course: &Course, overlay: Option<&Path>) -> Result<i32> {
    let _one_grader = one_grader_at_a_time(course)?;
    eprintln!("preparing the suite: every exercise's hidden tests, built against its stub with every dependency");
    let started = std::time::Instant::now();
    let suite = suite::prepare(course, overlay, suite::Lists::Build)?;
    let tests: usize = suite.tests.values().map(Vec::len).sum();
    println!(
        "ready to grade: {} exercises, {tests} tests, suite {} (built in {:.0} s)",
        suite.tests.len(),
        &suite.hash[..12],
        started.elapsed().as_secs_f64()
    );
    Ok(crate::exit::OK)
}

/// Unpacks, grades and keeps one submission, or reuses what an earlier run
/// kept for the same contents and suite.
fn grade_one(
    course: &Course,
    suite: &suite::Suite,
    candidate: &intake::Candidate,
    staging: &Path,
    results_dir: &Path,
    slot: submission::Slot<'_>,
    reused: &AtomicUsize,
) -> Result<SubmissionResult> {
    let source = candidate.source.to_string_lossy().into_owned();
    let dirs: Vec<String> = course.exercises.iter().map(|e| e.dir.clone()).collect();
    let unpacked = match intake::unpack(candidate, &dirs, staging)? {
        Ok(u) => u,
        Err(invalid_submission) => return Ok(invalid(candidate, invalid_submission.0)),
    };
    let cache_path = results_dir.join(format!("{}.json", candidate.id));
    if let Ok(text) = std::fs::read_to_string(&cache_path)
        && let Ok(cached) = serde_json::from_str::<CachedResult>(&text)
        && cached.content_hash == unpacked.content_hash
        && cached.suite_hash == suite.hash
    {
        reused.fetch_add(1, Ordering::SeqCst);
        let mut result = cached.result;
        result.source = source;
        return Ok(result);
    }
    let result = submission::grade(course, suite, &unpacked, &source, slot)?;
    let cached = CachedResult { content_hash: unpacked.content_hash.clone(), suite_hash: suite.hash.clone(), result };
    crate::atomic_write::write_atomic(&cache_path, serde_json::to_string_pretty(&cached)?.as_bytes())?;
    let _ = std::fs::remove_dir_all(&unpacked.root);
    Ok(cached.result)
}

fn invalid(candidate: &intake::Candidate, error: String) -> SubmissionResult {
    SubmissionResult {
        id: candidate.id.clone(),
        source: candidate.source.to_string_lossy().into_owned(),
        status: SubmissionStatus::Invalid,
        error: Some(error),
        score: 0.0,
        max_score: 0.0,
        content_hash: String::new(),
        seconds: 0.0,
        confirm_seconds: 0.0,
        exercises: Vec::new(),
    }
}

fn progress_bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} grading [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_grader_writes_them() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("4m30s"), Ok(Duration::from_secs(270)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["", "soon", "5 minutes", "m", "-3s", "3x"] {
            assert!(parse_duration(bad).is_err(), "`{bad}` read as a duration");
        }
    }

    #[test]
    fn what_is_left_of_a_budget_is_shared_by_the_rounds_of_submissions_still_to_grade() {
        let budget = |unfinished| TimeBudget {
            ends: Instant::now() + Duration::from_secs(100),
            reserve: Duration::from_secs(10),
            unfinished: AtomicUsize::new(unfinished),
        };
        let share =
            |b: TimeBudget, slots| b.confirm_until(slots).saturating_duration_since(Instant::now()).as_secs_f64();
        assert!((89.0..=90.0).contains(&share(budget(1), 2)), "one submission left: all but the reserve");
        assert!((44.0..=45.0).contains(&share(budget(4), 2)), "four left on two slots: two rounds");
        let spent =
            TimeBudget { ends: Instant::now(), reserve: Duration::from_secs(10), unfinished: AtomicUsize::new(3) };
        assert_eq!(share(spent, 1), 0.0, "no time left: no confirmation, and no panic");
    }
}
