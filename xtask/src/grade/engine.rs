//! Grading one unpacked submission: each exercise built once against the
//! suite, each test in its own process with its timeout, weights summed.
//!
//! A learner's code that fails, hangs, crashes or does not compile is an
//! ordinary result here. An `Err` means the grader itself could not do its
//! job (cargo missing, a disk full) and is reported as such.

use super::intake::Unpacked;
use super::model::{ExerciseResult, ExerciseStatus, SubmissionResult, SubmissionStatus, TestResult, TestStatus};
use super::suite::{Suite, rs_files};
use crate::engine::compile::{Build, build_tests_from};
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{self, TestOutcome};
use crate::engine::runner::Stop;
use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// The tests every exercise is graded with: the hidden tests the binary
/// lists, then the exercise's rules.
pub type TestList = Vec<String>;

/// Where a submission is graded: its build slot (one generated package per
/// slot, reused from one submission to the next, so that builds do not pile
/// up and the compiler's incremental state is reused), and how many of its
/// tests may run at once (the cores divided among the slots still busy, so
/// the last submission of a batch does not leave cores idle).
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    pub index: usize,
    pub tests_at_once: &'a (dyn Fn() -> usize + Sync),
}

/// Grades `sub` in `slot`.
pub fn grade(course: &Course, suite: &Suite, sub: &Unpacked, source: &str, slot: Slot<'_>) -> Result<SubmissionResult> {
    let started = std::time::Instant::now();
    let mut submitted = Vec::new();
    for ex in &course.exercises {
        submitted.push(match sub.exercises.get(&ex.dir) {
            Some(src) if !is_stub(course, ex, src)? => Some(src.as_path()),
            _ => None,
        });
    }
    // The next exercise compiles while this one's tests run (rustc works on
    // one core, most tests wait more than they compute): a thread builds
    // one exercise ahead and hands each build over when its turn comes.
    let (built_tx, built_rx) = std::sync::mpsc::sync_channel::<Result<Builds>>(0);
    let exercises = std::thread::scope(|s| -> Result<Vec<ExerciseResult>> {
        let to_build: Vec<(&Exercise, &Path)> =
            course.exercises.iter().zip(&submitted).filter_map(|(ex, src)| src.map(|src| (ex, src))).collect();
        s.spawn(move || {
            for (ex, src) in to_build {
                let builds = build_exercise(course, suite, ex, src, slot);
                let failed = builds.is_err();
                if built_tx.send(builds).is_err() || failed {
                    break;
                }
            }
        });
        let built_rx = built_rx;
        let mut exercises = Vec::new();
        for (ex, src) in course.exercises.iter().zip(&submitted) {
            let tests = &suite.tests[&ex.dir];
            exercises.push(match src {
                Some(src) => {
                    let builds = built_rx.recv().context("the build thread of a submission stopped")??;
                    grade_exercise(course, suite, ex, tests, src, sub, slot, builds)?
                }
                None => not_run(
                    course,
                    ex,
                    tests,
                    ExerciseStatus::NotSubmitted,
                    "not submitted (missing, or the stub unchanged)",
                ),
            });
        }
        Ok(exercises)
    })?;
    Ok(SubmissionResult {
        id: sub.id.clone(),
        source: source.to_string(),
        status: SubmissionStatus::Graded,
        error: None,
        score: exercises.iter().map(|e| e.score).sum(),
        max_score: exercises.iter().map(|e| e.max_score).sum(),
        content_hash: sub.content_hash.clone(),
        seconds: started.elapsed().as_secs_f64(),
        exercises,
    })
}

/// A submission whose `.rs` files are exactly the course's stub's.
fn is_stub(course: &Course, ex: &Exercise, src: &Path) -> Result<bool> {
    let stub_dir = course.exercise_dir(ex).join("src");
    let theirs = rs_files(src)?;
    let ours = rs_files(&stub_dir)?;
    if theirs.len() != ours.len() {
        return Ok(false);
    }
    for (a, b) in theirs.iter().zip(&ours) {
        if a.strip_prefix(src).ok() != b.strip_prefix(&stub_dir).ok() || std::fs::read(a)? != std::fs::read(b)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An exercise's test binaries for one submission: the ordinary tests, and
/// the schedule-exploration tier when the suite has one for it and the
/// ordinary build succeeded.
struct Builds {
    ordinary: Build,
    exploration: Option<Build>,
}

fn build_exercise(course: &Course, suite: &Suite, ex: &Exercise, src: &Path, slot: Slot<'_>) -> Result<Builds> {
    let variant = format!("grade-{}", slot.index);
    let test_dir = &suite.test_dirs[&ex.dir];
    let limit = Some(course.build_time_limit());
    let ordinary = build_tests_from(course, ex, src, test_dir, &variant, false, limit, &mut |_| {})?;
    let has_tier = suite.explored.get(&ex.dir).is_some_and(|names| !names.is_empty());
    let exploration = match &ordinary {
        Build::Built { .. } if has_tier => {
            Some(crate::engine::compile::build_exploration(course, ex, src, test_dir, &variant, false, &mut |_| {})?)
        }
        _ => None,
    };
    Ok(Builds { ordinary, exploration })
}

#[allow(clippy::too_many_arguments)]
fn grade_exercise(
    course: &Course,
    suite: &Suite,
    ex: &Exercise,
    tests: &TestList,
    src: &Path,
    sub: &Unpacked,
    slot: Slot<'_>,
    builds: Builds,
) -> Result<ExerciseResult> {
    let tidy = |text: &str| tidy_paths(course, sub, text);
    let (binary, build_ms) = match builds.ordinary {
        Build::Built { test_binary, duration } => (test_binary, duration.as_millis() as u64),
        Build::CompileError { rendered, duration } => {
            let why = if crate::engine::reach::is_refusal(&rendered) {
                "not run: the exercise was not built, as it reads files outside its src/ folder"
            } else {
                "not run: the exercise does not compile"
            };
            let mut r = not_run(course, ex, tests, ExerciseStatus::CompileError, why);
            r.compiler_output = Some(tidy(&rendered));
            r.build_ms = duration.as_millis() as u64;
            return Ok(r);
        }
    };
    let hidden = crate::engine::runner::list_tests(&binary)?;
    let scratch = course.work_dir().join("grade/runs").join(format!("slot-{}", slot.index)).join(&ex.dir);
    let mut outcomes = crate::engine::runner::run_tests_in(
        course,
        ex,
        &binary,
        &hidden,
        (slot.tests_at_once)(),
        Stop::Never,
        &scratch,
        &|_, _| {},
    )?;
    let mut runs = vec![1u32; outcomes.len()];
    let mut cpu: Duration = outcomes.iter().map(|o| o.cpu).sum();
    // A repeated test (metadata) passes only if every repetition does.
    for (o, n) in outcomes.iter_mut().zip(runs.iter_mut()) {
        let extra = course.repeat(ex, &o.name) - 1;
        *n += rerun_while_passing(course, ex, &binary, o, Reruns::exactly(extra), &scratch, &mut cpu)?;
    }
    // The code misbehaved somewhere. Racy code passes some tests only by
    // luck of the schedule, so each test that passed must keep passing
    // while it is run again: the same code then earns the same partial
    // credit every time it is graded. Code whose every test passed is not
    // re-run, so a correct exercise costs nothing more; nor is code that
    // behaves but breaks a rule (a lock where the lesson forbids one): a
    // rule is read from the source and says nothing about races.
    if outcomes.iter().any(|o| o.status != outcome::TestStatus::Passed) {
        let d = &course.defaults;
        let confirm = Reruns {
            at_least: d.confirm_runs,
            while_under: Duration::from_secs_f64(d.confirm_secs.max(0.0)),
            at_most: d.confirm_max_runs.max(d.confirm_runs),
            at_once: CONFIRM_AT_ONCE,
        };
        for (o, n) in outcomes.iter_mut().zip(runs.iter_mut()) {
            *n += rerun_while_passing(course, ex, &binary, o, confirm, &scratch, &mut cpu)?;
        }
    }
    outcomes.extend(crate::engine::rules::check_rules(course, ex, src));
    runs.resize(outcomes.len(), 1);

    // The schedule-exploration tier: its verdicts do not depend on luck, so
    // one run. Code that cannot be rebuilt on shuttle is not explored, and
    // those tests then count for nothing either way (max score 0): the tier
    // never costs a correct answer points for its style.
    let mut unexplored = Vec::new();
    let explored = suite.explored.get(&ex.dir).map(Vec::as_slice).unwrap_or_default();
    if let Some(exploration) = builds.exploration {
        match exploration {
            Build::Built { test_binary, .. } => {
                let names = crate::engine::runner::list_tests(&test_binary)?;
                let more = crate::engine::runner::run_tests_in(
                    course,
                    ex,
                    &test_binary,
                    &names,
                    (slot.tests_at_once)(),
                    Stop::Never,
                    &scratch,
                    &|_, _| {},
                )?;
                runs.extend(std::iter::repeat_n(1, more.len()));
                cpu += more.iter().map(|o| o.cpu).sum::<Duration>();
                outcomes.extend(more);
            }
            Build::CompileError { rendered, .. } => {
                let why = match rendered.strip_prefix(crate::engine::explore::REFUSAL) {
                    Some(why) => format!("not explored, so not counted: {why}"),
                    None => "not explored, so not counted: this code does not build on shuttle's threads and locks \
                             (it uses something of std::sync or std::thread that shuttle does not model)"
                        .to_string(),
                };
                unexplored = explored
                    .iter()
                    .map(|name| TestResult {
                        name: name.clone(),
                        status: TestStatus::NotRun,
                        score: 0.0,
                        max_score: 0.0,
                        duration_ms: 0,
                        category: None,
                        message: why.clone(),
                        visibility: course.visibility(ex, name),
                        runs: 0,
                    })
                    .collect();
            }
        }
    }

    let mut results: Vec<TestResult> = outcomes
        .iter()
        .zip(&runs)
        .map(|(o, &runs)| {
            let max_score = course.weight(ex, &o.name);
            let passed = o.status == outcome::TestStatus::Passed;
            TestResult {
                name: o.name.clone(),
                status: match o.status {
                    outcome::TestStatus::Passed => TestStatus::Passed,
                    outcome::TestStatus::Failed => TestStatus::Failed,
                    outcome::TestStatus::TimedOut => TestStatus::TimedOut,
                    outcome::TestStatus::Crashed => TestStatus::Crashed,
                },
                score: if passed { max_score } else { 0.0 },
                max_score,
                duration_ms: o.duration.as_millis() as u64,
                category: if passed { None } else { o.category.clone() },
                message: tidy(&full_message(o, runs)),
                visibility: course.visibility(ex, &o.name),
                runs,
            }
        })
        .collect();
    let all_passed = results.iter().all(|t| t.status == TestStatus::Passed);
    results.extend(unexplored);
    Ok(ExerciseResult {
        name: ex.name.clone(),
        status: if all_passed { ExerciseStatus::Passed } else { ExerciseStatus::Failed },
        score: results.iter().map(|t| t.score).sum(),
        max_score: results.iter().map(|t| t.max_score).sum(),
        tests: results,
        build_ms,
        test_cpu_ms: cpu.as_millis() as u64,
        compiler_output: None,
    })
}

/// An exercise whose tests did not run: every test at 0.
fn not_run(course: &Course, ex: &Exercise, tests: &TestList, status: ExerciseStatus, why: &str) -> ExerciseResult {
    let results: Vec<TestResult> = tests
        .iter()
        .map(|name| TestResult {
            name: name.clone(),
            status: TestStatus::NotRun,
            score: 0.0,
            max_score: course.weight(ex, name),
            duration_ms: 0,
            category: (status == ExerciseStatus::CompileError)
                .then(|| crate::engine::category::COMPILE_ERROR.to_string()),
            message: why.to_string(),
            visibility: course.visibility(ex, name),
            runs: 0,
        })
        .collect();
    ExerciseResult {
        name: ex.name.clone(),
        status,
        score: 0.0,
        max_score: results.iter().map(|t| t.max_score).sum(),
        tests: results,
        build_ms: 0,
        test_cpu_ms: 0,
        compiler_output: None,
    }
}

/// How many more times a passing test runs: `at_least` times, then on
/// while those re-runs have taken less than `while_under`, `at_most` in all,
/// `at_once` processes at a time.
#[derive(Clone, Copy)]
struct Reruns {
    at_least: u32,
    while_under: Duration,
    at_most: u32,
    at_once: u32,
}

impl Reruns {
    fn exactly(n: u32) -> Reruns {
        Reruns { at_least: n, while_under: Duration::ZERO, at_most: n, at_once: 1 }
    }
}

/// Confirmation runs of one test go this many processes at a time: many
/// hidden tests spend their time waiting (at a gate, for a deadline), so
/// overlapping them buys more runs, and more chances to catch a rare
/// failure, for the same wall time.
const CONFIRM_AT_ONCE: u32 = 4;

/// Runs a passing test again per `reruns`, each time in its own process,
/// and keeps its first failure. Returns how many more times it ran (up to
/// and including that failure).
fn rerun_while_passing(
    course: &Course,
    ex: &Exercise,
    binary: &Path,
    o: &mut TestOutcome,
    reruns: Reruns,
    scratch: &Path,
    cpu: &mut Duration,
) -> Result<u32> {
    let timeout = course.timeout(ex, &o.name);
    let started = Instant::now();
    let mut ran = 0;
    while o.status == outcome::TestStatus::Passed
        && ran < reruns.at_most
        && (ran < reruns.at_least || started.elapsed() < reruns.while_under)
    {
        let batch = reruns.at_once.max(1).min(reruns.at_most - ran);
        let name = o.name.as_str();
        let outcomes: Vec<Result<Option<TestOutcome>>> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..batch)
                .map(|i| {
                    let dir = scratch.join(format!("{name}.{i}"));
                    s.spawn(move || crate::engine::runner::run_one(course, binary, name, timeout, &dir, None))
                })
                .collect();
            runs.into_iter().map(|r| r.join().expect("a test run's thread panicked")).collect()
        });
        for again in outcomes {
            let again = again?.expect("a run without a cancel flag always reaches a verdict");
            *cpu += again.cpu;
            if o.status != outcome::TestStatus::Passed {
                break;
            }
            ran += 1;
            if again.status != outcome::TestStatus::Passed {
                *o = TestOutcome { weight: o.weight, ..again };
            }
        }
    }
    Ok(ran)
}

fn full_message(o: &TestOutcome, runs: u32) -> String {
    let mut text = if runs > 1 && o.status != outcome::TestStatus::Passed {
        format!("(failed on run {runs}; it had passed the {} before)\n{}", runs - 1, o.message)
    } else {
        o.message.clone()
    };
    if let Some(location) = &o.location {
        text.push_str(&format!("\n(at {location})"));
    }
    if !o.stderr_tail.is_empty() {
        text.push_str("\n--- end of the test's stderr ---\n");
        text.push_str(&o.stderr_tail);
    }
    text
}

/// Paths into the staging folder read as the learner's own
/// (`exercises/04_counter/src/lib.rs`).
fn tidy_paths(course: &Course, sub: &Unpacked, text: &str) -> String {
    let mut root = sub.root.to_string_lossy().into_owned();
    if !root.ends_with('/') {
        root.push('/');
    }
    let text = text.replace(&root, "");
    let rel = course.relativize(&root);
    course.relativize(&text).replace(&rel, "")
}
