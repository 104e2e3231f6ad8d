//! The one way from "these sources" to "these verdicts".
//!
//! Every command that judges code (`check`, `watch`, `replay`, `grade`,
//! `verify`, `bench`) comes through here; nothing else calls the build
//! (`compile.rs`) or run (`runner.rs`) functions, which the compiler keeps
//! private to the engine. Building and running are two steps, so a grader
//! can build one exercise ahead while another's tests run:
//!
//! 1. [`build`]: the hidden tests against the sources, and their names;
//! 2. [`build_exploration`]: the schedule-exploration tier, where the
//!    exercise has one and the sources can be explored;
//! 3. [`run`]: the tests per a [`Plan`] (which tests, when to stop, whether
//!    passing tests run again), each verdict told to a callback as it comes,
//!    and one [`Judgement`] for the exercise.
//!
//! [`judge`] does all three for one exercise, building the exploration tier
//! while the ordinary tests run. What the commands decide (what a compile
//! error costs, how a verdict is shown) stays with them: the engine only
//! says what happened, in types.

use crate::engine::compile::{self, Build};
use crate::engine::course::{Course, Exercise};
use crate::engine::learner_code::LearnerCode;
use crate::engine::outcome::{TestOutcome, TestStatus};
use crate::engine::runner::{self, TestBinary};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::engine::compile::{BuildOptions, BuildProgress, Tier, Variant};
pub use crate::engine::outcome::BuildFailure;
pub use crate::engine::runner::Stop;

/// Sources to judge for one exercise.
#[derive(Debug, Clone)]
pub enum Sources {
    /// The learner's `exercises/NN/src`.
    Learner,
    /// A folder holding `lib.rs` (or `src/lib.rs`), or one `.rs` file that
    /// replaces `lib.rs`: a solution, a mutant, a course author's attempt.
    Other(PathBuf),
    /// A grader's staged copy of one submission's `src/` folder, built in
    /// build slot `slot`, against the hidden tests in `tests` (the grading
    /// suite's copy), with its scratch folders under `scratch`.
    Graded { src: PathBuf, slot: usize, tests: PathBuf, scratch: PathBuf },
    /// The exercise's stub, built against `tests` to list every test the
    /// grading suite holds.
    Suite { tests: PathBuf },
}

/// What is judged: one exercise, one set of sources, its hidden tests.
pub struct Subject<'c> {
    pub course: &'c Course,
    pub ex: &'c Exercise,
    /// The folder holding the crate's `lib.rs`.
    pub sources: PathBuf,
    /// The folder holding the hidden tests (`main.rs`, maybe `explore.rs`).
    pub tests: PathBuf,
    /// Whose sources these are; names the build.
    pub variant: Variant,
    /// Where each test's scratch folder goes.
    pub scratch: PathBuf,
    /// Which code is the learner's, for panics and stack frames.
    pub code: LearnerCode,
}

impl<'c> Subject<'c> {
    /// The subject for `sources`. A single file is copied into a folder of
    /// its own under `target/threadwork/sources/`, as `lib.rs`.
    pub fn new(course: &'c Course, ex: &'c Exercise, sources: &Sources) -> Result<Subject<'c>> {
        let runs = course.work_dir().join("runs").join(&ex.dir);
        let (src, variant, tests, scratch) = match sources {
            Sources::Learner => (course.exercise_dir(ex).join("src"), Variant::Learner, course.tests_dir(ex), runs),
            Sources::Other(path) => {
                let (src, variant) = resolve_other(course, ex, path)?;
                (src, variant, course.tests_dir(ex), runs)
            }
            Sources::Graded { src, slot, tests, scratch } => {
                (src.clone(), Variant::GradingSlot(*slot), tests.clone(), scratch.join(&ex.dir))
            }
            Sources::Suite { tests } => (course.exercise_dir(ex).join("src"), Variant::Suite, tests.clone(), runs),
        };
        let code = LearnerCode::new(course, vec![src.clone()], &tests);
        Ok(Subject { course, ex, sources: src, tests, variant, scratch, code })
    }

    /// Where the exploration tier's rewritten copy of the sources goes.
    pub fn exploration_copy(&self) -> PathBuf {
        crate::engine::explore::copy_dir(self.course, self.ex, &self.variant)
    }

    fn binary<'a>(&'a self, tier: &'a BuiltTier, code: &'a LearnerCode) -> TestBinary<'a> {
        TestBinary { course: self.course, ex: self.ex, binary: &tier.binary, code, scratch_root: &self.scratch }
    }
}

/// The folder holding the crate's `lib.rs` for `path`, and a variant named
/// after where it lies (a mutant, the solution, anything else).
fn resolve_other(course: &Course, ex: &Exercise, path: &Path) -> Result<(PathBuf, Variant)> {
    let path = path.canonicalize().with_context(|| format!("cannot find {}", path.display()))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let variant = if path.starts_with(course.mutants_dir(ex)) {
        Variant::Mutant(stem)
    } else if path.starts_with(course.solution_dir(ex)) {
        Variant::Solution
    } else {
        Variant::Other(stem)
    };
    if path.is_file() {
        // A single file stands in for lib.rs: copy it into a folder of its own.
        let dir = course.work_dir().join("sources").join(format!("{}-{}", ex.dir, variant.name()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        compile::write_if_changed(&dir.join("lib.rs"), &text)?;
        return Ok((dir, variant));
    }
    for candidate in [path.join("src"), path.clone()] {
        if candidate.join("lib.rs").is_file() {
            return Ok((candidate, variant));
        }
    }
    bail!("{} holds neither lib.rs nor src/lib.rs", path.display())
}

/// A built test binary and the tests it declares, in declaration order.
#[derive(Debug, Clone)]
pub struct BuiltTier {
    pub binary: PathBuf,
    pub names: Vec<String>,
    /// Wall time of the build.
    pub duration: Duration,
}

/// The ordinary tier, built: its test binary, and the verdicts of the
/// exercise's rules, read from the same sources once (they cannot change
/// from one run to the next).
#[derive(Debug, Clone)]
pub struct HiddenTests {
    pub tier: BuiltTier,
    /// One `rule_<name>` outcome per rule of the exercise.
    pub rules: Vec<TestOutcome>,
}

/// The ordinary tier's build.
#[derive(Debug)]
pub enum Built {
    Ok(HiddenTests),
    /// No test binary; the learner's to fix.
    CompileError {
        cause: BuildFailure,
        compiler_output: String,
        duration: Duration,
    },
}

/// The schedule-exploration tier, as far as it got.
#[derive(Debug)]
pub enum Exploration {
    /// The exercise has no exploration tests.
    Absent,
    /// The tier has tests, but these sources cannot run them; the ordinary
    /// tests still judge the code, and the tier never costs it anything.
    Skipped(Unexplorable),
    /// Built from the rewritten copy of the sources
    /// ([`Subject::exploration_copy`]): its tests.
    Built(BuiltTier),
}

/// Why sources are not explored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unexplorable {
    /// They use a library whose blocking shuttle does not control
    /// (rayon, parking_lot, the `crossbeam` umbrella crate): the sentence says
    /// which.
    UnmodelledLibrary(String),
    /// They do not build on shuttle's threads and locks (something of
    /// `std::sync` or `std::thread` that shuttle does not model).
    DoesNotBuild,
}

/// Builds the hidden tests against the subject's sources, lists them, and
/// checks the exercise's rules against the sources that built.
pub fn build(subject: &Subject, options: &BuildOptions) -> Result<Built> {
    let build = compile::build(
        subject.course,
        subject.ex,
        (&subject.sources, &subject.tests),
        &subject.variant,
        Tier::Ordinary,
        options,
    )?;
    Ok(match build {
        Build::Built { test_binary, duration } => {
            let names = runner::list_tests(&test_binary)?;
            if names.is_empty() {
                bail!("the hidden tests of `{}` declare no test: the course is broken", subject.ex.name);
            }
            let rules = crate::engine::rules::check_rules(subject.course, subject.ex, &subject.sources);
            Built::Ok(HiddenTests { tier: BuiltTier { binary: test_binary, names, duration }, rules })
        }
        Build::CompileError { cause, rendered, duration } => {
            Built::CompileError { cause, compiler_output: rendered, duration }
        }
    })
}

/// Builds the schedule-exploration tier, if the exercise has one and the
/// sources can be explored.
pub fn build_exploration(subject: &Subject, options: &BuildOptions) -> Result<Exploration> {
    let started = Instant::now();
    if !subject.tests.join("explore.rs").is_file() {
        return Ok(Exploration::Absent);
    }
    if let Some(why) = crate::engine::explore::refusal(&subject.sources) {
        return Ok(Exploration::Skipped(Unexplorable::UnmodelledLibrary(why)));
    }
    // Sources the reach rule refuses are refused again in their rewritten
    // copy (compile::build checks every build), which then does not build.
    let copy = crate::engine::explore::prepare_sources(subject.course, subject.ex, &subject.sources, &subject.variant)?;
    let build =
        compile::build(subject.course, subject.ex, (&copy, &subject.tests), &subject.variant, Tier::Explore, options)?;
    Ok(match build {
        Build::Built { test_binary, .. } => {
            let names = runner::list_tests(&test_binary)?;
            Exploration::Built(BuiltTier { binary: test_binary, names, duration: started.elapsed() })
        }
        Build::CompileError { .. } => Exploration::Skipped(Unexplorable::DoesNotBuild),
    })
}

/// Where a verdict comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A hidden test run on real threads.
    Hidden,
    /// A rule of construction, read from the sources.
    Rule,
    /// A schedule-exploration test: a deterministic verdict.
    Explored,
}

/// One test's verdict, with how it was reached.
#[derive(Debug, Clone)]
pub struct Judged {
    pub outcome: TestOutcome,
    pub origin: Origin,
    /// How many times it ran: more than once when it is repeated (course
    /// metadata) or confirmed; a failure ends the runs.
    pub runs: u32,
    /// How the verdict was settled: by this run, or by the grading policy
    /// (`engine/confirm.rs`).
    pub settled: Settled,
}

/// How a test's verdict was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// By its first run (and its `repeat`s): a deterministic verdict, a
    /// failure, or a pass in an exercise where nothing failed.
    FirstRun,
    /// Run `ran` more times of the `wanted` the policy asks for (fewer when
    /// a run failed, or when the deadline came first).
    Confirmed { wanted: u32, ran: u32 },
    /// Scored failed because the explored test `by` broke its property.
    Proven { by: String },
    /// Passed, and the explored test `by` found its property holding in
    /// every schedule it explored: not confirmed.
    Explored { by: String },
}

impl Judged {
    fn first(outcome: TestOutcome, origin: Origin) -> Judged {
        Judged { outcome, origin, runs: 1, settled: Settled::FirstRun }
    }
}

/// Whether tests that passed run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reruns {
    /// Each test runs once (`check`, `verify`, `bench`).
    Never,
    /// As a grader runs them: each test as often as the course's `repeat`
    /// says, all of which must pass. (Confirming the verdicts that can vary
    /// is the grading policy's, `engine/confirm.rs`, once every exercise has
    /// its first verdicts.)
    AsGraded,
}

/// How to run an exercise's tests.
pub struct Plan<'a> {
    /// Run only these tests (every test when empty).
    pub only: &'a [String],
    /// How many test processes may run at once, asked before each tier.
    pub jobs: &'a (dyn Fn() -> usize + Sync),
    pub stop: Stop,
    pub reruns: Reruns,
    /// Which tiers to run.
    pub origins: &'a [Origin],
}

impl Plan<'_> {
    fn wants(&self, origin: Origin, name: &str) -> bool {
        self.origins.contains(&origin) && (self.only.is_empty() || self.only.iter().any(|n| n == name))
    }
}

/// Every tier.
pub const ALL_ORIGINS: &[Origin] = &[Origin::Hidden, Origin::Rule, Origin::Explored];

/// Told of each test's first verdict as it comes: its index among the
/// tests run (hidden tests, then rules, then explored tests, each in
/// declaration order), and the verdict.
pub type OnTest<'a> = &'a (dyn Fn(usize, &Judged) + Sync);

/// What running an exercise's tests gave.
#[derive(Debug)]
pub struct Judgement {
    /// Hidden tests, then rules, then explored tests, in declaration order
    /// (with a [`Stop`], only those that reached a verdict).
    pub tests: Vec<Judged>,
    /// CPU time of every test process run (reruns and every tier included).
    pub test_cpu: Duration,
}

impl Judgement {
    pub fn all_passed(&self) -> bool {
        self.tests.iter().all(|t| t.outcome.status == TestStatus::Passed)
    }
}

/// Runs the subject's tests: the ordinary tier and the rules from `built`,
/// then the exploration tier (unless a [`Stop`] ended the run first).
pub fn run(
    subject: &Subject,
    built: &HiddenTests,
    exploration: &Exploration,
    plan: &Plan,
    on_test: OnTest,
) -> Result<Judgement> {
    let mut judgement = run_ordinary(subject, built, plan, on_test)?;
    let first = judgement.tests.len();
    run_explored(subject, exploration, plan, first, on_test, &mut judgement)?;
    Ok(judgement)
}

/// The ordinary tier and the rules.
fn run_ordinary(subject: &Subject, built: &HiddenTests, plan: &Plan, on_test: OnTest) -> Result<Judgement> {
    let (course, ex) = (subject.course, subject.ex);
    let names: Vec<String> = built.tier.names.iter().filter(|n| plan.wants(Origin::Hidden, n)).cloned().collect();
    let binary = subject.binary(&built.tier, &subject.code);
    let outcomes = runner::run_tests(&binary, &names, (plan.jobs)(), plan.stop, &|i, outcome| {
        on_test(i, &Judged::first(outcome.clone(), Origin::Hidden))
    })?;
    let mut test_cpu: Duration = outcomes.iter().map(|o| o.cpu).sum();
    let mut tests: Vec<Judged> = outcomes.into_iter().map(|outcome| Judged::first(outcome, Origin::Hidden)).collect();
    if plan.reruns == Reruns::AsGraded {
        // A repeated test (metadata) passes only if every repetition does.
        for t in &mut tests {
            let extra = course.repeat(ex, &t.outcome.name) - 1;
            t.runs += rerun_while_passing(&binary, &mut t.outcome, extra, &mut test_cpu)?;
        }
    }
    if plan.origins.contains(&Origin::Rule) {
        for outcome in &built.rules {
            if plan.wants(Origin::Rule, &outcome.name) {
                let judged = Judged::first(outcome.clone(), Origin::Rule);
                on_test(tests.len(), &judged);
                tests.push(judged);
            }
        }
    }
    Ok(Judgement { tests, test_cpu })
}

/// The exploration tier, run once: its verdicts do not depend on luck.
fn run_explored(
    subject: &Subject,
    exploration: &Exploration,
    plan: &Plan,
    first: usize,
    on_test: OnTest,
    judgement: &mut Judgement,
) -> Result<()> {
    let Exploration::Built(tier) = exploration else { return Ok(()) };
    if judgement.tests.iter().any(|t| plan.stop.ends_at(&t.outcome)) {
        return Ok(());
    }
    let names: Vec<String> = tier.names.iter().filter(|n| plan.wants(Origin::Explored, n)).cloned().collect();
    if names.is_empty() {
        return Ok(());
    }
    let code = subject.code.with(subject.exploration_copy());
    let outcomes = runner::run_tests(&subject.binary(tier, &code), &names, (plan.jobs)(), plan.stop, &|i, outcome| {
        on_test(first + i, &Judged::first(outcome.clone(), Origin::Explored))
    })?;
    judgement.test_cpu += outcomes.iter().map(|o| o.cpu).sum::<Duration>();
    judgement.tests.extend(outcomes.into_iter().map(|outcome| Judged::first(outcome, Origin::Explored)));
    Ok(())
}

/// The whole of one exercise's judgement, build to verdicts.
#[derive(Debug)]
pub struct Verdict {
    pub build: BuildVerdict,
    /// Absent when the ordinary build failed, or when the run asked for no
    /// exploration test.
    pub exploration: Option<ExplorationVerdict>,
    /// Wall time spent on the exploration tier's build (its refusal
    /// included), when the exercise has the tier and it was asked for.
    pub exploration_build: Option<Duration>,
    /// Empty when the build failed.
    pub judgement: Judgement,
}

/// How the ordinary build went.
#[derive(Debug)]
pub enum BuildVerdict {
    Built { duration: Duration },
    CompileError { cause: BuildFailure, compiler_output: String, duration: Duration },
}

/// How the exploration tier went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplorationVerdict {
    Absent,
    Skipped(Unexplorable),
    /// Built and run.
    Ran,
}

/// Builds and runs one exercise: the ordinary tests are told to `on_test`
/// as they end, while the exploration tier builds beside them (the tests
/// mostly wait, rustc mostly computes); then its tests run. `progress` is
/// told what cargo compiles for the ordinary build only (the exploration
/// tier builds while verdicts are being shown). A `--test` name that no
/// tier declares is a usage error that lists the tests.
pub fn judge(subject: &Subject, options: &BuildOptions, plan: &Plan, on_test: OnTest) -> Result<Verdict> {
    (options.progress)(BuildProgress::Started(Tier::Ordinary));
    let built = build(subject, options)?;
    (options.progress)(BuildProgress::Done);
    let built = match built {
        Built::Ok(tier) => tier,
        Built::CompileError { cause, compiler_output, duration } => {
            return Ok(Verdict {
                build: BuildVerdict::CompileError { cause, compiler_output, duration },
                exploration: None,
                exploration_build: None,
                judgement: Judgement { tests: Vec::new(), test_cpu: Duration::ZERO },
            });
        }
    };
    let quiet = BuildOptions { color: false, time_limit: options.time_limit, progress: &|_| {} };
    let rules: Vec<String> = built.rules.iter().map(|r| r.name.clone()).collect();
    let unknown_here = |n: &String| !built.tier.names.contains(n) && !rules.contains(n);
    // A test that is neither ordinary nor a rule may be an explored one:
    // build that tier first, to know.
    let mut exploration = None;
    if plan.only.iter().any(unknown_here) {
        let started = Instant::now();
        (options.progress)(BuildProgress::Started(Tier::Explore));
        let built = build_exploration(subject, options)?;
        (options.progress)(BuildProgress::Done);
        exploration = Some((built, started.elapsed()));
    }
    let explored_names: &[String] = match &exploration {
        Some((Exploration::Built(tier), _)) => &tier.names,
        _ => &[],
    };
    if let Some(unknown) = plan.only.iter().find(|n| unknown_here(n) && !explored_names.contains(n)) {
        let known: Vec<&String> = built.tier.names.iter().chain(&rules).chain(explored_names).collect();
        let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
        return Err(crate::exit::Usage(format!(
            "`{}` has no hidden test named `{unknown}`; its tests are:\n  {}",
            subject.ex.name,
            known.join("\n  ")
        ))
        .into());
    }
    let wants_exploration = plan.origins.contains(&Origin::Explored)
        && (plan.only.is_empty() || exploration.is_some() || plan.only.iter().any(|n| explored_names.contains(n)));
    let (mut judgement, exploration) = std::thread::scope(|s| -> Result<_> {
        let alongside = (exploration.is_none() && wants_exploration).then(|| {
            s.spawn(|| {
                let started = Instant::now();
                (build_exploration(subject, &quiet), started.elapsed())
            })
        });
        let judgement = run_ordinary(subject, &built, plan, on_test)?;
        let exploration = match alongside {
            Some(thread) => {
                let (built, took) = thread.join().expect("the exploration build's thread panicked");
                Some((built?, took))
            }
            None => exploration,
        };
        Ok((judgement, exploration))
    })?;
    let (exploration, exploration_build) = match exploration {
        None => (None, None),
        Some((tier, took)) => {
            let first = judgement.tests.len();
            run_explored(subject, &tier, plan, first, on_test, &mut judgement)?;
            match tier {
                Exploration::Absent => (Some(ExplorationVerdict::Absent), None),
                Exploration::Skipped(why) => (Some(ExplorationVerdict::Skipped(why)), Some(took)),
                Exploration::Built(_) => (Some(ExplorationVerdict::Ran), Some(took)),
            }
        }
    };
    Ok(Verdict {
        build: BuildVerdict::Built { duration: built.tier.duration },
        exploration,
        exploration_build,
        judgement,
    })
}

/// Runs a passing test up to `extra` more times, each in its own process,
/// and keeps its first failure. Returns how many more times it ran (up to
/// and including that failure).
fn rerun_while_passing(binary: &TestBinary, o: &mut TestOutcome, extra: u32, cpu: &mut Duration) -> Result<u32> {
    let timeout = binary.course.timeout(binary.ex, &o.name);
    let dir = binary.scratch_root.join(format!("{}.0", o.name));
    let mut ran = 0;
    while o.status == TestStatus::Passed && ran < extra {
        let again = runner::run_one(binary.course, binary.code, binary.binary, &o.name, timeout, &dir, None)?
            .expect("a run without a cancel flag always reaches a verdict");
        *cpu += again.cpu;
        ran += 1;
        if again.status != TestStatus::Passed {
            *o = TestOutcome { weight: o.weight, ..again };
        }
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two variants of one exercise built one after the other: the first
    /// one's binary must still be the first one's code. (Before the private
    /// copies, the second build overwrote the first's binary in place, and a
    /// grader running two submissions of one exercise at once could run one
    /// learner's tests on the other's code.)
    #[test]
    fn a_later_build_of_another_variant_leaves_an_earlier_binary_alone() {
        let course = Course::load(&crate::engine::course::default_root()).unwrap();
        let ex = course.find("letter_frequency").unwrap();
        let options = BuildOptions { color: false, time_limit: None, progress: &|_| {} };
        let built = |sources: Sources| {
            let mut subject = Subject::new(&course, ex, &sources).unwrap();
            subject.variant = Variant::Other(format!("unit-test-{}", subject.variant.name()));
            match build(&subject, &options).unwrap() {
                Built::Ok(tier) => (subject, tier),
                Built::CompileError { compiler_output, .. } => panic!("{compiler_output}"),
            }
        };
        let (solution, solution_tier) = built(Sources::Other(course.solution_dir(ex)));
        let (stub, stub_tier) = built(Sources::Learner);
        assert_ne!(solution_tier.tier.binary, stub_tier.tier.binary);
        let test = "no_texts_give_no_letters".to_string();
        let plan = Plan {
            only: std::slice::from_ref(&test),
            jobs: &|| 1,
            stop: Stop::Never,
            reruns: Reruns::Never,
            origins: &[Origin::Hidden],
        };
        let status = |subject: &Subject, tier: &HiddenTests| {
            run(subject, tier, &Exploration::Absent, &plan, &|_, _| {}).unwrap().tests[0].outcome.status
        };
        assert_eq!(status(&solution, &solution_tier), TestStatus::Passed, "the solution's binary runs the solution");
        assert_eq!(status(&stub, &stub_tier), TestStatus::Failed, "the stub's binary runs the stub");
    }
}
