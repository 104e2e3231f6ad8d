//! Grading one unpacked submission: each exercise built once against the
//! suite, each test in its own process with its timeout, weights summed.
//!
//! A learner's code that fails, hangs, crashes or does not compile is an
//! ordinary result here. An `Err` means the grader itself could not do its
//! job (cargo missing, a disk full) and is reported as such.

use super::intake::Unpacked;
use super::model::{
    Established, EstablishedBy, ExerciseResult, ExerciseStatus, SubmissionResult, SubmissionStatus, TestResult,
    TestStatus,
};
use super::suite::{Suite, rs_files};
use crate::engine::confirm::{self, Settled};
use crate::engine::course::{Course, Exercise};
use crate::engine::judge::{
    self, BuildFailure, BuildOptions, Built, Exploration, HiddenTests, Judgement, Plan, Reruns, Sources, Stop, Subject,
    Unexplorable,
};
use crate::engine::outcome::TestOutcome;
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;

/// The tests every exercise is graded with: the hidden tests the binary
/// lists, then the exercise's rules.
pub type TestList = Vec<String>;

/// Where a submission is graded: its build slot (one generated package per
/// slot, reused from one submission to the next, so that builds do not pile
/// up and the compiler's incremental state is reused), how many of its
/// tests may run at once (the cores divided among the slots still busy, so
/// the last submission of a batch does not leave cores idle), and what its
/// confirmation runs may use.
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    pub index: usize,
    pub tests_at_once: &'a (dyn Fn() -> usize + Sync),
    /// The CPUs (fractions count) its confirmation runs may keep busy.
    pub cpus: &'a (dyn Fn() -> f64 + Sync),
    /// When its confirmation runs must end, asked once its first runs are
    /// done (`None`: no time budget).
    pub confirm_until: &'a (dyn Fn() -> Option<Instant> + Sync),
}

/// Grades `sub` in `slot`: first every exercise's build and first runs
/// (the next exercise compiles while this one's tests run), then the
/// confirmation of every verdict that needs it, all exercises together
/// (`engine/confirm.rs`), then the scores.
pub fn grade(course: &Course, suite: &Suite, sub: &Unpacked, source: &str, slot: Slot<'_>) -> Result<SubmissionResult> {
    let started = Instant::now();
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
    let mut stages = std::thread::scope(|s| -> Result<Vec<Stage>> {
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
        let mut stages = Vec::new();
        for (ex, src) in course.exercises.iter().zip(&submitted) {
            let tests = &suite.tests[&ex.dir];
            stages.push(match src {
                Some(_) => {
                    let builds = built_rx.recv().context("the build thread of a submission stopped")??;
                    first_runs(course, suite, sub, slot, builds)?
                }
                None => Stage::Scored(not_run(
                    course,
                    ex,
                    tests,
                    ExerciseStatus::NotSubmitted,
                    "not submitted (missing, or the stub unchanged)",
                )),
            });
        }
        Ok(stages)
    })?;

    let policy = confirm::Policy::from_course(course);
    let mut judged: Vec<confirm::Exercise> = stages
        .iter_mut()
        .filter_map(|stage| match stage {
            Stage::Judged(j) => {
                Some(confirm::Exercise { subject: &j.subject, built: &j.built, judgement: &mut j.judgement })
            }
            Stage::Scored(_) => None,
        })
        .collect();
    let means = confirm::Means { cpus: slot.cpus, deadline: (slot.confirm_until)() };
    let settling = Instant::now();
    confirm::settle(&mut judged, &policy, &means)?;
    let confirm_seconds = settling.elapsed().as_secs_f64();

    let exercises: Vec<ExerciseResult> = stages
        .into_iter()
        .map(|stage| match stage {
            Stage::Judged(j) => score(course, sub, &policy, j),
            Stage::Scored(r) => r,
        })
        .collect();
    Ok(SubmissionResult {
        id: sub.id.clone(),
        source: source.to_string(),
        status: SubmissionStatus::Graded,
        error: None,
        score: exercises.iter().map(|e| e.score).sum(),
        max_score: exercises.iter().map(|e| e.max_score).sum(),
        content_hash: sub.content_hash.clone(),
        seconds: started.elapsed().as_secs_f64(),
        confirm_seconds,
        exercises,
    })
}

/// An exercise between its first runs and its score.
enum Stage<'c> {
    /// Built and run once; its verdicts may yet be confirmed.
    Judged(Judged<'c>),
    /// Not submitted, or not built: its result is final.
    Scored(ExerciseResult),
}

struct Judged<'c> {
    subject: Subject<'c>,
    built: HiddenTests,
    /// Why the exploration tier's tests count for nothing, when it was skipped.
    unexplored: Vec<TestResult>,
    judgement: Judgement,
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

/// An exercise's builds for one submission: the ordinary tests, and the
/// schedule-exploration tier when the ordinary build succeeded.
struct Builds<'c> {
    subject: Subject<'c>,
    ordinary: Built,
    exploration: Exploration,
}

fn build_exercise<'c>(
    course: &'c Course,
    suite: &Suite,
    ex: &'c Exercise,
    src: &Path,
    slot: Slot<'_>,
) -> Result<Builds<'c>> {
    let sources = Sources::Graded {
        src: src.to_path_buf(),
        slot: slot.index,
        tests: suite.test_dirs[&ex.dir].clone(),
        scratch: course.work_dir().join("grade/runs").join(format!("slot-{}", slot.index)),
    };
    let subject = Subject::new(course, ex, &sources)?;
    let options = BuildOptions { color: false, time_limit: Some(course.build_time_limit()), progress: &|_| {} };
    let ordinary = judge::build(&subject, &options)?;
    let exploration = match &ordinary {
        Built::Ok(_) => judge::build_exploration(&subject, &options)?,
        Built::CompileError { .. } => Exploration::Absent,
    };
    Ok(Builds { subject, ordinary, exploration })
}

fn first_runs<'c>(
    course: &Course,
    suite: &Suite,
    sub: &Unpacked,
    slot: Slot<'_>,
    builds: Builds<'c>,
) -> Result<Stage<'c>> {
    let Builds { subject, ordinary, exploration } = builds;
    let ex = subject.ex;
    let tests = &suite.tests[&ex.dir];
    let built = match ordinary {
        Built::Ok(built) => built,
        Built::CompileError { cause, compiler_output, duration } => {
            let why = match cause {
                BuildFailure::Refused => {
                    "not run: the exercise was not built, as it reads files outside its src/ folder"
                }
                BuildFailure::Rustc | BuildFailure::TimedOut => "not run: the exercise does not compile",
            };
            let mut r = not_run(course, ex, tests, ExerciseStatus::CompileError, why);
            r.compiler_output = Some(tidy_paths(course, sub, &compiler_output));
            r.build_ms = duration.as_millis() as u64;
            return Ok(Stage::Scored(r));
        }
    };
    let plan = Plan {
        only: &[],
        jobs: slot.tests_at_once,
        stop: Stop::Never,
        reruns: Reruns::AsGraded,
        origins: judge::ALL_ORIGINS,
    };
    let judgement = judge::run(&subject, &built, &exploration, &plan, &|_, _| {})?;

    // Code that cannot be rebuilt on shuttle is not explored, and the
    // tier's tests then count for nothing either way (max score 0): the
    // tier never costs a correct answer points for its style.
    let unexplored = match &exploration {
        Exploration::Skipped(why) => {
            let why = match why {
                Unexplorable::UnmodelledLibrary(why) => format!("not explored, so not counted: {why}"),
                Unexplorable::DoesNotBuild => "not explored, so not counted: this code does not build on shuttle's \
                                               threads and locks (it uses something of std::sync or std::thread \
                                               that shuttle does not model)"
                    .to_string(),
            };
            let explored = suite.explored.get(&ex.dir).map(Vec::as_slice).unwrap_or_default();
            explored
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
                    explored_by: None,
                })
                .collect()
        }
        Exploration::Absent | Exploration::Built(_) => Vec::new(),
    };
    Ok(Stage::Judged(Judged { subject, built, unexplored, judgement }))
}

/// The exercise's result from its settled verdicts.
fn score(course: &Course, sub: &Unpacked, policy: &confirm::Policy, judged: Judged) -> ExerciseResult {
    let Judged { subject, built, unexplored, judgement } = judged;
    let ex = subject.ex;
    let mut results: Vec<TestResult> = judgement
        .tests
        .iter()
        .map(|t| {
            let o = &t.outcome;
            let max_score = course.weight(ex, &o.name);
            let passed = o.status == TestStatus::Passed;
            TestResult {
                name: o.name.clone(),
                status: o.status,
                score: if passed { max_score } else { 0.0 },
                max_score,
                duration_ms: o.duration.as_millis() as u64,
                category: if passed { None } else { o.category },
                message: tidy_paths(course, sub, &full_message(o, t.runs)),
                visibility: course.visibility(ex, &o.name),
                runs: t.runs,
                explored_by: match &t.settled {
                    Settled::Proven { by } | Settled::Explored { by } => Some(by.clone()),
                    Settled::FirstRun | Settled::Confirmed { .. } => None,
                },
            }
        })
        .collect();
    let all_passed = judgement.all_passed();
    results.extend(unexplored);
    ExerciseResult {
        name: ex.name.clone(),
        status: if all_passed { ExerciseStatus::Passed } else { ExerciseStatus::Failed },
        score: results.iter().map(|t| t.score).sum(),
        max_score: results.iter().map(|t| t.max_score).sum(),
        tests: results,
        build_ms: built.tier.duration.as_millis() as u64,
        test_cpu_ms: judgement.test_cpu.as_millis() as u64,
        compiler_output: None,
        established: established(&judgement, policy),
    }
}

/// How the judgement's verdicts were settled, for the report.
fn established(judgement: &Judgement, policy: &confirm::Policy) -> Established {
    let proven = judgement.tests.iter().filter(|t| matches!(t.settled, Settled::Proven { .. })).count() as u32;
    let mut wanted = 0;
    let mut least: Option<u32> = None;
    for t in &judgement.tests {
        if let Settled::Confirmed { wanted: w, ran } = t.settled {
            wanted = w;
            if t.outcome.status == TestStatus::Passed {
                least = Some(least.map_or(ran, |l| l.min(ran)));
            }
        }
    }
    let least = least.unwrap_or(wanted);
    let how = if wanted == 0 {
        EstablishedBy::Deterministic
    } else if least < wanted {
        EstablishedBy::CutShort
    } else {
        EstablishedBy::Confirmed
    };
    let mut summary = match how {
        EstablishedBy::Deterministic if judgement.all_passed() => {
            "Every test passed its first run: a correct exercise is not run again.".to_string()
        }
        EstablishedBy::Deterministic => {
            "Settled by each test's first run: no passing verdict here depends on the luck of a schedule.".to_string()
        }
        EstablishedBy::Confirmed => format!(
            "Confirmed: each real-thread test that passed ran {wanted} more times and would have failed at its first \
             failure, so {}.",
            policy.guarantee()
        ),
        EstablishedBy::CutShort => format!(
            "Cut short by the time budget: a real-thread test that passed ran only {least} of the {wanted} more times \
             the grading policy asks for, so a racy mistake may have gone unseen; grade again with more time to settle \
             this score."
        ),
    };
    if proven > 0 {
        summary.push_str(&format!(
            " {proven} test{} failed because an explored test found a schedule that breaks what {} checks.",
            if proven == 1 { "" } else { "s" },
            if proven == 1 { "it" } else { "they" }
        ));
    }
    Established { how, runs_wanted: wanted, runs_least: least, proven, summary }
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
                .then_some(crate::engine::category::Category::CompileError),
            message: why.to_string(),
            visibility: course.visibility(ex, name),
            runs: 0,
            explored_by: None,
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
        established: Established {
            summary: format!("Not run ({why}), so nothing rests on a schedule."),
            ..Established::default()
        },
    }
}

fn full_message(o: &TestOutcome, runs: u32) -> String {
    let mut text = if runs > 1 && o.status != TestStatus::Passed {
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
