//! `cargo xtask check [EXERCISE...]`: build an exercise with its hidden tests
//! and run each test in its own process.
//!
//! With no exercise named it walks the course in order, like rustlings: an
//! exercise that passed before and has not changed is not re-run, and it
//! stops at the first exercise that fails (`--all` goes on).

use crate::compile::{Build, build_hidden_tests};
use crate::course::{Course, Exercise};
use crate::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome};
use crate::progress::{Progress, fingerprint};
use crate::report::{Human, JsonLines, Reporter};
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people (colours only on a terminal, and never with NO_COLOR).
    Human,
    /// One JSON object per line; see ARCHITECTURE.md for the fields.
    Json,
    /// GitHub Actions annotations (`::error file=...,line=...`) at the
    /// learner's lines, for a course run in CI.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exercises to check, by crate name (`counter`), folder (`04_counter`)
    /// or number (`4`). None: go through the course in order.
    pub exercises: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// With no exercise named, check every exercise instead of stopping at
    /// the first that fails, and re-run those that passed before.
    #[arg(long)]
    pub all: bool,
    /// Test processes to run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// For course authors: judge these sources instead of the learner's (a
    /// solution's folder, or a single mutant `.rs` file). Needs exactly one
    /// exercise, and leaves the learner's recorded progress alone.
    #[arg(long, value_name = "PATH")]
    pub source: Option<PathBuf>,
}

/// Sources to judge for one exercise.
pub enum Sources {
    /// The learner's `exercises/NN/src`.
    Learner,
    /// A folder holding `lib.rs` (or `src/lib.rs`), or one `.rs` file that
    /// replaces `lib.rs`.
    Other(PathBuf),
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    if args.source.is_some() && args.exercises.len() != 1 {
        return Err(crate::exit::Usage("--source needs exactly one exercise named".into()).into());
    }
    let jobs = args.jobs.unwrap_or_else(crate::runner::default_jobs);
    let mut reporter: Box<dyn Reporter> = match args.format {
        Format::Human => Box::new(Human::new(crate::category::Catalogue::load(course)?)),
        Format::Json => Box::new(JsonLines::new()),
        Format::Github => Box::new(crate::report::Github::new(crate::category::Catalogue::load(course)?)),
    };
    let spinner_allowed = args.format == Format::Human;
    let mut progress = Progress::load(course);

    let walk_course = args.exercises.is_empty();
    let selected: Vec<&Exercise> = if walk_course {
        course.exercises.iter().collect()
    } else {
        args.exercises.iter().map(|key| course.find(key)).collect::<Result<_>>()?
    };
    let sources = match &args.source {
        Some(path) => Sources::Other(path.clone()),
        None => Sources::Learner,
    };

    let mut all_checked_passed = true;
    let mut checked = 0;
    for ex in selected {
        if walk_course && !args.all && progress.is_passed(course, ex) {
            reporter.exercise_remembered(course, ex);
            continue;
        }
        // Taken before the build: the verdict belongs to the sources as they
        // were judged, not to an edit saved while the tests ran.
        let judged = fingerprint(course, ex);
        let outcome = check_exercise(course, ex, &sources, jobs, spinner_allowed, reporter.as_mut())?;
        checked += 1;
        if matches!(sources, Sources::Learner) {
            progress.record(course, ex, judged, &outcome);
        }
        if outcome.status != ExerciseStatus::Passed {
            all_checked_passed = false;
            if walk_course && !args.all {
                break;
            }
        }
    }
    let (passed, next) = progress.summary(course);
    reporter.summary(course, passed, checked, next);
    Ok(if all_checked_passed { crate::exit::OK } else { crate::exit::EXERCISE_FAILED })
}

/// Builds one exercise against `sources` and runs its hidden tests,
/// reporting each as it ends.
pub fn check_exercise(
    course: &Course,
    ex: &Exercise,
    sources: &Sources,
    jobs: usize,
    spinner_allowed: bool,
    reporter: &mut dyn Reporter,
) -> Result<ExerciseOutcome> {
    reporter.exercise_started(course, ex);
    let (src_dir, variant) = resolve_sources(course, ex, sources)?;
    let color = spinner_allowed && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let spinner = Spinner::new(spinner_allowed, &format!("building {} with its hidden tests", ex.name));
    let build = build_hidden_tests(course, ex, &src_dir, &variant, color, &mut |what| spinner.set(what));
    spinner.finish();
    let (binary, build_duration) = match build? {
        Build::Built { test_binary, duration } => (test_binary, duration),
        Build::CompileError { rendered, duration } => {
            let outcome = ExerciseOutcome {
                name: ex.name.clone(),
                dir: ex.dir.clone(),
                status: ExerciseStatus::CompileError,
                tests: Vec::new(),
                compiler_output: Some(rendered),
                build_duration: duration,
            };
            reporter.exercise_finished(course, ex, &outcome);
            return Ok(outcome);
        }
    };

    let names = crate::runner::list_tests(&binary)?;
    if names.is_empty() {
        bail!("the hidden tests of `{}` declare no test: the course is broken", ex.name);
    }
    // Tests end in any order; the reporter hears them in declaration order.
    let ordered = Mutex::new(InOrder { next: 0, pending: vec![None; names.len()], reporter });
    let tests =
        crate::runner::run_tests(course, ex, &binary, &names, jobs, crate::runner::Stop::Never, &|i, outcome| {
            let mut o = ordered.lock().unwrap();
            o.pending[i] = Some(outcome.clone());
            while let Some(Some(ready)) = o.pending.get(o.next).cloned() {
                o.reporter.test_finished(course, ex, &ready);
                o.next += 1;
            }
        })?;
    let reporter = ordered.into_inner().unwrap().reporter;
    let mut tests = tests;
    for rule in crate::rules::check_rules(course, ex, &src_dir) {
        reporter.test_finished(course, ex, &rule);
        tests.push(rule);
    }
    let status = if tests.iter().all(|t| t.status == crate::outcome::TestStatus::Passed) {
        ExerciseStatus::Passed
    } else {
        ExerciseStatus::Failed
    };
    let outcome = ExerciseOutcome {
        name: ex.name.clone(),
        dir: ex.dir.clone(),
        status,
        tests,
        compiler_output: None,
        build_duration,
    };
    reporter.exercise_finished(course, ex, &outcome);
    Ok(outcome)
}

struct InOrder<'r> {
    next: usize,
    pending: Vec<Option<TestOutcome>>,
    reporter: &'r mut dyn Reporter,
}

/// The folder holding the crate's `lib.rs`, and a name for its build.
pub fn resolve_sources(course: &Course, ex: &Exercise, sources: &Sources) -> Result<(PathBuf, String)> {
    let path = match sources {
        Sources::Learner => return Ok((course.exercise_dir(ex).join("src"), "learner".into())),
        Sources::Other(path) => path.canonicalize().with_context(|| format!("cannot find {}", path.display()))?,
    };
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let variant = if path.starts_with(course.mutants_dir(ex)) {
        format!("mutant-{stem}")
    } else if path.starts_with(course.solution_dir(ex)) {
        "solution".to_string()
    } else {
        format!("other-{stem}")
    };
    if path.is_file() {
        // A single file stands in for lib.rs: copy it into a folder of its own.
        let dir = course.work_dir().join("sources").join(format!("{}-{variant}", ex.dir));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        crate::compile::write_if_changed(&dir.join("lib.rs"), &text)?;
        return Ok((dir, variant));
    }
    for candidate in [path.join("src"), path.clone()] {
        if candidate.join("lib.rs").is_file() {
            return Ok((candidate, variant));
        }
    }
    bail!("{} holds neither lib.rs nor src/lib.rs", path.display())
}

/// A spinner on stderr while cargo works, only on a terminal without NO_COLOR.
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new(allowed: bool, message: &str) -> Spinner {
        let on = allowed && std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Spinner(on.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(message.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(100));
            bar
        }))
    }

    fn set(&self, compiling: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!("compiling {compiling}"));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Whether `path` is inside an exercise's learner sources; used by `watch`.
pub fn exercise_of_path<'c>(course: &'c Course, path: &Path) -> Option<&'c Exercise> {
    course.exercises.iter().find(|ex| path.starts_with(course.exercise_dir(ex).join("src")))
}
