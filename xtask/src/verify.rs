//! `cargo xtask verify`: the hidden tests prove themselves.
//!
//! For each exercise: the stub must fail its hidden tests; the reference
//! solution must pass all of them in every one of N runs while a load
//! generator keeps every core busy; and every mutant under
//! `tests/NN/mutants/` must be killed in every run, by a failure of the
//! category its header names (`//! CATEGORY: lost_update`). It
//! prints a kill matrix (mutant × test) and what the solution's tests cost
//! in CPU-seconds.
//!
//! `--format json` writes one object:
//! `{"format_version": 1, "runs", "mutant_runs", "load", "first_kill", "seconds",
//! "exercises": [{"name", "stub_failed", "solution_runs", "solution_passed_runs",
//! "solution_passed_all", "solution_failures": [{"test", "runs", "message"}],
//! "cpu_seconds", "explore_cpu_seconds", "seconds", "mutants": [{"name", "mistake", "category", "runs",
//! "killed_runs", "named_runs", "killed_by": ["<test>", ...], "killed_as":
//! ["<category>", ...], "exploration_named_runs", "explored_named_runs", "seconds"}]}]}`,
//! where `cpu_seconds` is the CPU time of one full run of the solution's
//! hidden tests (the mean over the runs) and `killed_by` lists every test that
//! failed on the mutant in at least one run (with `--first-kill`, only the
//! tests that failed before the run was ended: each mutant's run ends at its
//! first failure of its own category). `named_runs` counts the runs with a
//! failure of the mutant's category, and `killed_as` lists every category
//! its failures had; `exploration_named_runs` counts the runs in which the
//! schedule-exploration tier (`tests/NN/explore.rs`) failed it that way, and
//! `explored_named_runs` those in which only that tier did.
//! `seconds` are wall times.
//! `--mutant-runs 0` leaves `mutants` empty. Every problem (a stub that
//! passes, a flaky solution, a surviving mutant, a mutant killed as another
//! mistake than its own) is also said in one line,
//! on stderr with `--format json`.

use crate::engine::category::Category;
use crate::engine::course::{Course, Exercise};
use crate::engine::judge::{self, BuildOptions, Built, Exploration, Origin, Reruns, Sources, Stop, Subject, Variant};
use crate::engine::outcome::TestStatus;
use anyhow::{Context, Result, bail};
use rustix::process::Signal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exercises to verify (default: all), by crate name, folder or number.
    pub exercises: Vec<String>,
    /// How many times to run the solution's tests (and each mutant's, unless
    /// --mutant-runs says otherwise).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// How many times to run each mutant's tests (default: --runs); 0 skips
    /// the mutants, to measure only how steady the solution is.
    #[arg(long, value_name = "N")]
    pub mutant_runs: Option<usize>,
    /// Do not keep the cores busy while the tests run.
    #[arg(long)]
    pub no_load: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::check::Format,
    /// Test processes to run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// End each run of a stub or mutant at its first failing test. It still
    /// proves every mutant is killed, much faster when mutants hang, but the
    /// kill matrix then shows only the tests that failed first (CI uses it).
    #[arg(long)]
    pub first_kill: bool,
    /// Run only these mutants (file names without `.rs`; repeat for more).
    #[arg(long = "mutant", value_name = "NAME")]
    pub mutants: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    format_version: u32,
    runs: usize,
    mutant_runs: usize,
    load: bool,
    first_kill: bool,
    seconds: f64,
    exercises: Vec<ExerciseReport>,
}

#[derive(Serialize)]
struct ExerciseReport {
    name: String,
    stub_failed: bool,
    solution_runs: usize,
    solution_passed_runs: usize,
    solution_passed_all: bool,
    solution_failures: Vec<Failure>,
    cpu_seconds: f64,
    /// The part of `cpu_seconds` spent in the schedule-exploration tier.
    explore_cpu_seconds: f64,
    /// Wall time for the whole exercise: builds, stub, solution and mutants.
    seconds: f64,
    mutants: Vec<MutantReport>,
}

#[derive(Serialize)]
struct Failure {
    test: String,
    runs: usize,
    message: String,
}

#[derive(Serialize)]
struct MutantReport {
    name: String,
    mistake: String,
    /// The category its failures must name.
    category: String,
    runs: usize,
    killed_runs: usize,
    named_runs: usize,
    killed_by: Vec<String>,
    killed_as: Vec<String>,
    /// Runs in which the schedule-exploration tier failed it as its category.
    exploration_named_runs: usize,
    /// Runs in which only the schedule-exploration tier failed it as its
    /// category (no ordinary test did).
    explored_named_runs: usize,
    /// Wall time to build the mutant and run its tests `runs` times.
    seconds: f64,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let mutant_runs = args.mutant_runs.unwrap_or(args.runs);
    if args.runs == 0 {
        return Err(crate::exit::Usage("--runs must be at least 1".into()).into());
    }
    let jobs = args.jobs.unwrap_or_else(crate::engine::process::default_jobs);
    let selected: Vec<&Exercise> = if args.exercises.is_empty() {
        course.exercises.iter().collect()
    } else {
        args.exercises.iter().map(|k| course.find(k)).collect::<Result<_>>()?
    };
    let human = args.format == crate::check::Format::Human;
    let started = Instant::now();
    let load = if args.no_load { None } else { Some(LoadGenerator::start()?) };
    let plan = Plan {
        runs: args.runs,
        mutant_runs,
        jobs,
        human,
        load: load.as_ref(),
        stop: if args.first_kill { Stop::AtFirstFailure } else { Stop::Never },
        only_mutants: &args.mutants,
    };
    for name in &args.mutants {
        let known = selected.iter().any(|ex| {
            mutant_files(course, ex)
                .unwrap_or_default()
                .iter()
                .any(|p| p.file_stem().is_some_and(|s| s.to_string_lossy() == *name))
        });
        if !known {
            return Err(crate::exit::Usage(format!("no exercise verified here has a mutant named `{name}`")).into());
        }
    }

    let mut report = Report {
        format_version: 1,
        runs: args.runs,
        mutant_runs,
        load: !args.no_load,
        first_kill: args.first_kill,
        seconds: 0.0,
        exercises: Vec::new(),
    };
    for ex in selected {
        if human {
            println!("\n── {:02} {} ──", course.number(ex), ex.name);
        }
        report.exercises.push(verify_exercise(course, ex, &plan)?);
    }
    report.seconds = started.elapsed().as_secs_f64();
    let problems = problems(&report);
    if human {
        println!(
            "\nverify {} in {:.0} s ({} solution run{}, {}, {}).",
            if problems.is_empty() { "passed" } else { "FAILED" },
            report.seconds,
            args.runs,
            if args.runs == 1 { "" } else { "s" },
            if mutant_runs == 0 { "mutants not run".to_string() } else { format!("{mutant_runs} per mutant") },
            if args.no_load { "no load" } else { "every core kept busy" }
        );
        for p in &problems {
            println!("  {p}");
        }
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
        // Said where a person reading the terminal sees it, too.
        for p in &problems {
            eprintln!("verify: {p}");
        }
    }
    Ok(if problems.is_empty() { crate::exit::OK } else { crate::exit::EXERCISE_FAILED })
}

/// One line for every way the hidden tests failed to prove themselves.
fn problems(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    for ex in &report.exercises {
        if !ex.stub_failed {
            lines.push(format!("{}: the stub passes the hidden tests", ex.name));
        }
        for f in &ex.solution_failures {
            lines.push(format!(
                "{}: the solution is flaky: {} failed in {} of {} runs",
                ex.name, f.test, f.runs, ex.solution_runs
            ));
        }
        for m in &ex.mutants {
            if m.killed_runs < m.runs {
                lines.push(format!(
                    "{}: mutant {} survived {} of {} runs ({})",
                    ex.name,
                    m.name,
                    m.runs - m.killed_runs,
                    m.runs,
                    m.mistake
                ));
            } else if m.named_runs < m.runs {
                lines.push(format!(
                    "{}: mutant {} is a `{}` mistake, but in {} of {} runs no failure said so (its failures: {})",
                    ex.name,
                    m.name,
                    m.category,
                    m.runs - m.named_runs,
                    m.runs,
                    m.killed_as.join(", ")
                ));
            }
        }
    }
    lines
}

/// How every exercise is verified.
struct Plan<'l> {
    runs: usize,
    mutant_runs: usize,
    jobs: usize,
    human: bool,
    load: Option<&'l LoadGenerator>,
    /// For the stub and the mutants; the solution always runs every test.
    stop: Stop,
    /// Mutants to run (all when empty).
    only_mutants: &'l [String],
}

fn verify_exercise(course: &Course, ex: &Exercise, plan: &Plan) -> Result<ExerciseReport> {
    let started = Instant::now();
    let (runs, mutant_runs, human) = (plan.runs, plan.mutant_runs, plan.human);
    // The stub: one run is enough; it must not pass.
    let stub = run_variant(course, ex, &Sources::Learner, 1, plan, plan.stop, None)?;
    let stub_failed = stub.failed_runs() == 1;
    if human {
        println!(
            "  stub        {}",
            if stub_failed { "fails, as it should" } else { "PASSES: the hidden tests accept a stub" }
        );
    }

    let solution = run_variant(course, ex, &Sources::Other(course.solution_dir(ex)), runs, plan, Stop::Never, None)?;
    let solution_passed_runs = runs - solution.failed_runs();
    let cpu_seconds = solution.cpu.as_secs_f64() / runs as f64;
    let explore_cpu_seconds = solution.explored_cpu.as_secs_f64() / runs as f64;
    if human {
        let explored = if course.has_exploration_tier(ex) {
            format!(", schedule exploration {explore_cpu_seconds:.2} of them")
        } else {
            String::new()
        };
        println!(
            "  solution    passed {solution_passed_runs}/{runs} runs; its hidden tests cost {cpu_seconds:.2} CPU-s a run{explored} \
             ({:.1} s wall for {runs})",
            solution.seconds
        );
        for (test, (count, message)) in &solution.failures {
            println!("              FLAKY: {test} failed {count}/{runs}: {}", first_line(message));
        }
    }

    let mut mutants = Vec::new();
    if mutant_runs == 0 && human {
        println!("  mutants     not run (--mutant-runs 0)");
    }
    let mut mutant_paths = if mutant_runs > 0 { mutant_files(course, ex)? } else { Vec::new() };
    if !plan.only_mutants.is_empty() {
        mutant_paths
            .retain(|p| p.file_stem().is_some_and(|s| plan.only_mutants.iter().any(|m| std::ffi::OsStr::new(m) == s)));
    }
    for path in mutant_paths {
        let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let mistake = mutant_mistake(&path)?;
        let category = mutant_category(&path)?;
        let stop = match plan.stop {
            Stop::AtFirstFailure => Stop::AtFirstFailureAs(category),
            other => other,
        };
        let result = run_variant(course, ex, &Sources::Other(path.clone()), mutant_runs, plan, stop, Some(category))?;
        let killed_runs = result.failed_runs();
        let killed_by: Vec<String> = result.failures.keys().cloned().collect();
        let killed_as: Vec<String> = result.categories.iter().cloned().collect();
        if human {
            let verdict = match (killed_runs == mutant_runs, result.named_runs == mutant_runs) {
                (false, _) => "SURVIVED",
                (true, true) => "killed",
                (true, false) => "killed AS ANOTHER MISTAKE",
            };
            let explored = match result.exploration_named_runs {
                0 => String::new(),
                n => format!(
                    " [schedule exploration named it in {n}/{mutant_runs} runs, alone in {}]",
                    result.explored_named_runs
                ),
            };
            println!(
                "  mutant      {name}: {verdict} {killed_runs}/{mutant_runs} as {} {}/{mutant_runs}, by {} \
                 ({}){explored} ({:.1} s)",
                category.as_str(),
                result.named_runs,
                killed_by.join(", "),
                killed_as.join(", "),
                result.seconds
            );
        }
        mutants.push(MutantReport {
            name,
            mistake,
            category: category.as_str().to_string(),
            runs: mutant_runs,
            killed_runs,
            named_runs: result.named_runs,
            killed_by,
            killed_as,
            exploration_named_runs: result.exploration_named_runs,
            explored_named_runs: result.explored_named_runs,
            seconds: result.seconds,
        });
    }
    if human && !mutants.is_empty() {
        print_kill_matrix(&solution.test_names, &mutants, plan.stop);
    }
    Ok(ExerciseReport {
        name: ex.name.clone(),
        stub_failed,
        solution_runs: runs,
        solution_passed_runs,
        solution_passed_all: solution_passed_runs == runs,
        solution_failures: solution
            .failures
            .into_iter()
            .map(|(test, (runs, message))| Failure { test, runs, message })
            .collect(),
        cpu_seconds,
        explore_cpu_seconds,
        seconds: started.elapsed().as_secs_f64(),
        mutants,
    })
}

/// What N runs of one variant's hidden tests gave.
struct VariantRuns {
    test_names: Vec<String>,
    /// CPU time of the schedule-exploration tier's test processes, over all runs.
    explored_cpu: Duration,
    /// Runs whose failure of the expected category came from that tier
    /// alone (no ordinary test failed that way in the run).
    explored_named_runs: usize,
    /// Runs in which a schedule-exploration test failed as the expected
    /// category (whatever the ordinary tests did).
    exploration_named_runs: usize,
    /// Per run: did any test fail?
    run_failed: Vec<bool>,
    /// Per failing test: in how many runs it failed, and its first message.
    failures: BTreeMap<String, (usize, String)>,
    /// Every category the failures had.
    categories: std::collections::BTreeSet<String>,
    /// Runs with a failure of the expected category.
    named_runs: usize,
    /// CPU time of the test processes over all runs.
    cpu: Duration,
    /// Wall time, build included.
    seconds: f64,
}

impl VariantRuns {
    fn failed_runs(&self) -> usize {
        self.run_failed.iter().filter(|f| **f).count()
    }

    /// Counts one run's judgement.
    fn record(&mut self, judgement: &judge::Judgement, expected: Option<Category>) {
        self.cpu += judgement.test_cpu;
        self.explored_cpu +=
            judgement.tests.iter().filter(|t| t.origin == Origin::Explored).map(|t| t.outcome.cpu).sum::<Duration>();
        let mut failed = false;
        let (mut named, mut named_by_ordinary, mut named_by_exploration) = (false, false, false);
        for (o, origin) in
            judgement.tests.iter().map(|t| (&t.outcome, t.origin)).filter(|(o, _)| o.status != TestStatus::Passed)
        {
            failed = true;
            let entry = self.failures.entry(o.name.clone()).or_insert((0, o.message.clone()));
            entry.0 += 1;
            if let Some(category) = o.category {
                let as_expected = expected == Some(category);
                named |= as_expected;
                named_by_ordinary |= as_expected && origin != Origin::Explored;
                named_by_exploration |= as_expected && origin == Origin::Explored;
                self.categories.insert(category.as_str().to_string());
            }
        }
        self.run_failed.push(failed);
        self.named_runs += usize::from(named);
        self.explored_named_runs += usize::from(named && !named_by_ordinary);
        self.exploration_named_runs += usize::from(named_by_exploration);
    }
}

fn run_variant(
    course: &Course,
    ex: &Exercise,
    sources: &Sources,
    runs: usize,
    plan: &Plan,
    stop: Stop,
    expected: Option<Category>,
) -> Result<VariantRuns> {
    let started = Instant::now();
    let subject = Subject::new(course, ex, sources)?;
    // The load is for the tests: a build under it only takes longer.
    let paused = plan.load.map(LoadGenerator::pause);
    let options = BuildOptions { color: false, time_limit: Some(course.build_time_limit()), progress: &|_| {} };
    let built = match judge::build(&subject, &options)? {
        Built::Ok(tier) => tier,
        Built::CompileError { compiler_output, .. } => match subject.variant {
            // A stub or mutant that does not compile is not killed by a
            // test: that is a broken course, said plainly.
            Variant::Learner | Variant::Mutant(_) => bail!(
                "{} ({}) does not compile against its hidden tests:\n{compiler_output}",
                ex.name,
                subject.variant.name()
            ),
            _ => bail!("the solution of {} does not compile:\n{compiler_output}", ex.name),
        },
    };
    // The schedule-exploration tier, where the exercise has one. The
    // course's own solution must be explorable; a mutant that is not is
    // judged by the ordinary tests alone. A mutant run once and stopped at
    // its first kill (CI's selftest) has its tier built only if the
    // ordinary tests did not name its mistake: most mutants die there, and
    // the tier's build is most of what verifying one costs.
    // The stub, in that mode, fails its ordinary tests before it would need
    // its tier.
    let tier_only_if_needed =
        runs == 1 && stop != Stop::Never && matches!(subject.variant, Variant::Mutant(_) | Variant::Learner);
    let exploration =
        if tier_only_if_needed { Exploration::Absent } else { judge::build_exploration(&subject, &options)? };
    drop(paused);
    if let (Exploration::Skipped(why), Variant::Solution) = (&exploration, &subject.variant) {
        bail!("the solution of {} does not build for schedule exploration: {why:?}", ex.name)
    }
    let explored_names: Vec<String> = match &exploration {
        Exploration::Built(tier) => tier.names.clone(),
        Exploration::Absent | Exploration::Skipped(_) => Vec::new(),
    };
    let rule_names = built.rules.iter().map(|r| r.name.clone());
    let mut result = VariantRuns {
        explored_cpu: Duration::ZERO,
        explored_named_runs: 0,
        exploration_named_runs: 0,
        test_names: built.tier.names.iter().cloned().chain(rule_names).chain(explored_names.iter().cloned()).collect(),
        run_failed: Vec::new(),
        failures: BTreeMap::new(),
        categories: Default::default(),
        named_runs: 0,
        cpu: Duration::ZERO,
        seconds: 0.0,
    };
    let (jobs, load) = (plan.jobs, plan.load);
    let plan = judge::Plan { only: &[], jobs: &|| jobs, stop, reruns: Reruns::Never, origins: judge::ALL_ORIGINS };
    for _ in 0..runs {
        let judgement = judge::run(&subject, &built, &exploration, &plan, &|_, _| {})?;
        result.record(&judgement, expected);
    }
    let settled = match expected {
        Some(_) => result.named_runs > 0,
        None => result.failed_runs() > 0,
    };
    if tier_only_if_needed && !settled && course.has_exploration_tier(ex) {
        let paused = load.map(LoadGenerator::pause);
        let exploration = judge::build_exploration(&subject, &options)?;
        drop(paused);
        if let Exploration::Built(tier) = &exploration {
            result.test_names.extend(tier.names.iter().cloned());
        }
        let plan = judge::Plan { origins: &[Origin::Explored], ..plan };
        let judgement = judge::run(&subject, &built, &exploration, &plan, &|_, _| {})?;
        // The same run, finished by the tier: undo the count of the first
        // half and count the whole.
        let failed_before = result.run_failed.pop().unwrap_or(false);
        result.record(&judgement, expected);
        if failed_before && let Some(last) = result.run_failed.last_mut() {
            *last = true;
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    Ok(result)
}

/// Every `*.rs` under the exercise's `mutants/`, in name order.
pub fn mutant_files(course: &Course, ex: &Exercise) -> Result<Vec<PathBuf>> {
    let dir = course.mutants_dir(ex);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    Ok(files)
}

/// The one-line description on a mutant's first line: `//! MUTANT: ...`.
pub fn mutant_mistake(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let first = text.lines().next().unwrap_or_default();
    match first.strip_prefix("//! MUTANT:") {
        Some(rest) => Ok(rest.trim().to_string()),
        None => bail!("{} must start with a line `//! MUTANT: <the mistake>`", path.display()),
    }
}

/// The category on a mutant's second line, `//! CATEGORY: lost_update`:
/// the mistake, from the fixed list, its failures must name.
pub fn mutant_category(path: &Path) -> Result<Category> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let second = text.lines().nth(1).unwrap_or_default();
    let Some(name) = second.strip_prefix("//! CATEGORY:").map(str::trim) else {
        bail!("{} must have as its second line `//! CATEGORY: <one of the categories>`", path.display())
    };
    match Category::from_name(name) {
        Some(known) => Ok(known),
        None => bail!(
            "{}: `{name}` is not a category; the categories are {}",
            path.display(),
            Category::ALL.map(Category::as_str).join(", ")
        ),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn print_kill_matrix(tests: &[String], mutants: &[MutantReport], stop: Stop) {
    let width = tests.iter().map(String::len).max().unwrap_or(4);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n  kill matrix (x: the test failed on the mutant in some run)");
    if stop == Stop::AtFirstFailure {
        let _ = writeln!(out, "  (--first-kill: each run ended at the mutant's first failure of its own category)");
    }
    for (i, m) in mutants.iter().enumerate() {
        let _ = writeln!(out, "    m{:<3} {}", i + 1, m.name);
    }
    let header: String = (1..=mutants.len()).map(|i| format!("{:>4}", format!("m{i}"))).collect();
    let _ = writeln!(out, "  {:<width$} {header}", "test");
    for t in tests {
        let row: String =
            mutants.iter().map(|m| format!("{:>4}", if m.killed_by.contains(t) { "x" } else { "." })).collect();
        let _ = writeln!(out, "  {t:<width$} {row}");
    }
}

/// Keeps every core busy from a separate process until dropped, so the
/// solution is proven under the kind of load a shared grading machine has.
pub struct LoadGenerator(std::process::Child);

impl LoadGenerator {
    pub fn start() -> Result<LoadGenerator> {
        let exe = crate::engine::process::this_program()
            .context("cannot find the xtask binary to start the load generator")?;
        let child = std::process::Command::new(exe)
            .arg("burn-cpu")
            .stdin(std::process::Stdio::null())
            .spawn()
            .context("cannot start the load generator")?;
        Ok(LoadGenerator(child))
    }
}

impl LoadGenerator {
    /// Stops the load until the returned guard is dropped.
    pub fn pause(&self) -> PausedLoad {
        signal(self.0.id(), Signal::STOP);
        PausedLoad(self.0.id())
    }
}

/// While it lives, the load generator is stopped.
pub struct PausedLoad(u32);

impl Drop for PausedLoad {
    fn drop(&mut self) {
        signal(self.0, Signal::CONT);
    }
}

/// To our own child, which we have not reaped yet (the LoadGenerator that
/// owns it is alive), so the pid is still its.
fn signal(pid: u32, sig: Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

impl Drop for LoadGenerator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The load generator's body: one spinning thread per core, until killed
/// (or after an hour, so a lost one cannot burn a machine for ever).
pub fn burn_cpu() -> ! {
    // Die with the xtask that started us, even if it is killed with SIGKILL
    // and cannot drop its LoadGenerator.
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let deadline = Instant::now() + Duration::from_secs(3600);
    for _ in 0..cores {
        std::thread::spawn(move || {
            let mut x = 0u64;
            while Instant::now() < deadline {
                for _ in 0..100_000 {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
                std::hint::black_box(x);
            }
        });
    }
    std::thread::sleep(deadline - Instant::now());
    std::process::exit(0)
}
