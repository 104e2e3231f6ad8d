//! `cargo xtask check [EXERCISE...]`: build an exercise with its hidden tests
//! and run each test in its own process.
//!
//! With no exercise named it walks the course in order, like rustlings: an
//! exercise that passed before and has not changed is not re-run, and it
//! stops at the first exercise that fails (`--all` goes on).

use crate::engine::compile::{Build, build_hidden_tests};
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome};
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
    /// Run only this hidden test (repeat for more), for example to replay a
    /// failed property test's cases. Needs exactly one exercise; the run
    /// does not count towards the exercise's progress.
    #[arg(long = "test", value_name = "NAME")]
    pub tests: Vec<String>,
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
    if !args.tests.is_empty() && args.exercises.len() != 1 {
        return Err(crate::exit::Usage("--test needs exactly one exercise named".into()).into());
    }
    let jobs = args.jobs.unwrap_or_else(crate::engine::process::default_jobs);
    let mut reporter: Box<dyn Reporter> = match args.format {
        Format::Human => Box::new(Human::new(crate::engine::category::Catalogue::load(course)?)),
        Format::Json => Box::new(JsonLines::new()),
        Format::Github => Box::new(crate::report::Github::new(crate::engine::category::Catalogue::load(course)?)),
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
        let outcome = check_exercise(course, ex, &sources, &args.tests, jobs, spinner_allowed, reporter.as_mut())?;
        checked += 1;
        if matches!(sources, Sources::Learner) && args.tests.is_empty() {
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

/// Builds one exercise against `sources` and runs its hidden tests (those
/// named in `only`, or all when it is empty), reporting each as it ends.
pub fn check_exercise(
    course: &Course,
    ex: &Exercise,
    sources: &Sources,
    only: &[String],
    jobs: usize,
    spinner_allowed: bool,
    reporter: &mut dyn Reporter,
) -> Result<ExerciseOutcome> {
    reporter.exercise_started(course, ex);
    let (src_dir, variant) = resolve_sources(course, ex, sources)?;
    let shown = ShownAs::new(course, sources, &src_dir);
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
                compiler_output: Some(shown.text(&rendered)),
                build_duration: duration,
                exploration_build_duration: None,
            };
            reporter.exercise_finished(course, ex, &outcome);
            return Ok(outcome);
        }
    };

    let mut names = crate::engine::runner::list_tests(&binary)?;
    if names.is_empty() {
        bail!("the hidden tests of `{}` declare no test: the course is broken", ex.name);
    }
    let rule_names: Vec<String> = ex.rules.keys().map(|name| format!("rule_{name}")).collect();
    // The exploration tier is built only when its tests will run: all of
    // them, or one that --test names. For a full check it is built while the
    // ordinary tests run (they mostly wait, rustc mostly computes), so that
    // neither their first verdict nor the whole check waits for it.
    let wants_exploration = |names: &[String]| only.is_empty() || only.iter().any(|n| names.contains(n));
    let mut exploration = None;
    let mut exploration_built_in = None;
    let unknown_here = |n: &&String| !names.contains(n) && !rule_names.contains(n);
    if only.iter().any(|n| unknown_here(&n)) {
        let started = std::time::Instant::now();
        exploration = build_exploration_tier(course, ex, &src_dir, &variant, color)?;
        exploration_built_in = exploration.is_some().then(|| started.elapsed());
    }
    let explored_names: Vec<String> = match &exploration {
        Some(Ok((_, names))) => names.clone(),
        _ => Vec::new(),
    };
    if let Some(unknown) = only.iter().find(|n| unknown_here(n) && !explored_names.contains(n)) {
        let mut known = names.clone();
        known.extend(rule_names);
        known.extend(explored_names);
        return Err(crate::exit::Usage(format!(
            "`{}` has no hidden test named `{unknown}`; its tests are:\n  {}",
            ex.name,
            known.join("\n  ")
        ))
        .into());
    }
    if !only.is_empty() {
        names.retain(|n| only.contains(n));
    }
    let (mut tests, built_alongside) = std::thread::scope(|s| -> Result<_> {
        let alongside = only.is_empty().then(|| {
            s.spawn(|| {
                let started = std::time::Instant::now();
                // No spinner: the tests' lines are being printed.
                (build_exploration_tier(course, ex, &src_dir, &variant, false), started.elapsed())
            })
        });
        let mut tests = run_in_order(course, ex, &binary, &names, jobs, &shown, reporter)?;
        for rule in crate::engine::rules::check_rules(course, ex, &src_dir)
            .iter()
            .filter(|r| only.is_empty() || only.contains(&r.name))
            .map(|r| shown.outcome(r))
        {
            reporter.test_finished(course, ex, &rule);
            tests.push(rule);
        }
        let built = alongside.map(|build| build.join().expect("the exploration build's thread panicked"));
        Ok((tests, built))
    })?;
    if let Some((built, took)) = built_alongside {
        exploration = built?;
        exploration_built_in = exploration.is_some().then_some(took);
    }
    match exploration {
        Some(Ok((binary, mut names))) if wants_exploration(&names) => {
            if !only.is_empty() {
                names.retain(|n| only.contains(n));
            }
            let copy = crate::engine::explore::copy_dir(course, ex, &variant);
            let shown = shown.with_copy(course, &copy, &src_dir);
            tests.extend(run_in_order(course, ex, &binary, &names, jobs, &shown, reporter)?);
        }
        Some(Err(why)) => reporter.note(course, ex, &why),
        _ => {}
    }
    let status = if tests.iter().all(|t| t.status == crate::engine::outcome::TestStatus::Passed) {
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
        exploration_build_duration: exploration_built_in,
    };
    reporter.exercise_finished(course, ex, &outcome);
    Ok(outcome)
}

/// Runs `names` from `binary`, telling the reporter of each in declaration
/// order (they end in any order).
fn run_in_order(
    course: &Course,
    ex: &Exercise,
    binary: &Path,
    names: &[String],
    jobs: usize,
    shown: &ShownAs,
    reporter: &mut dyn Reporter,
) -> Result<Vec<TestOutcome>> {
    let ordered = Mutex::new(InOrder { next: 0, pending: vec![None; names.len()], reporter });
    let tests = crate::engine::runner::run_tests(
        course,
        ex,
        binary,
        names,
        jobs,
        crate::engine::runner::Stop::Never,
        &|i, outcome| {
            let mut o = ordered.lock().unwrap();
            o.pending[i] = Some(shown.outcome(outcome));
            while let Some(Some(ready)) = o.pending.get(o.next).cloned() {
                o.reporter.test_finished(course, ex, &ready);
                o.next += 1;
            }
        },
    )?;
    Ok(tests.iter().map(|t| shown.outcome(t)).collect())
}

/// The exploration tier's test binary and its tests, or why it cannot run.
type Exploration = std::result::Result<(PathBuf, Vec<String>), String>;

/// The exploration tier's test binary and its tests, if the exercise has
/// the tier: `Err` with a note when the sources cannot be rebuilt on
/// shuttle (the ordinary tests still judge them; this tier then says
/// nothing, so a correct answer is never failed by it).
fn build_exploration_tier(
    course: &Course,
    ex: &Exercise,
    src_dir: &Path,
    variant: &str,
    color: bool,
) -> Result<Option<Exploration>> {
    if crate::engine::explore::tests_file(course, ex).is_none() {
        return Ok(None);
    }
    let spinner = Spinner::new(color, &format!("building {} for schedule exploration", ex.name));
    let build = crate::engine::compile::build_exploration(
        course,
        ex,
        src_dir,
        &course.tests_dir(ex),
        variant,
        false,
        &mut |what| spinner.set(what),
    );
    spinner.finish();
    Ok(Some(match build? {
        Build::Built { test_binary, .. } => {
            let names = crate::engine::runner::list_tests(&test_binary)?;
            Ok((test_binary, names))
        }
        Build::CompileError { rendered, .. } => Err(match rendered.strip_prefix(crate::engine::explore::REFUSAL) {
            Some(why) => format!("schedule exploration skipped: {why}; the other tests judge it"),
            None => format!(
                "schedule exploration skipped: {} does not build on shuttle's threads and locks (it uses \
                 something of std::sync or std::thread that shuttle does not model); the other tests judge it",
                ex.name
            ),
        }),
    }))
}

struct InOrder<'r> {
    next: usize,
    pending: Vec<Option<TestOutcome>>,
    reporter: &'r mut dyn Reporter,
}

/// How messages name the sources judged. A single file given with
/// `--source` is built from a copy under `target/threadwork/sources/`, and
/// the exploration tier from a rewritten copy under
/// `target/threadwork/explore-sources/`; the copies keep every line where
/// it was, so messages name the files the learner or author wrote.
#[derive(Clone)]
struct ShownAs {
    /// Each copy's path (absolute, then relative to the course root) and
    /// the path to show instead, applied in order.
    replace: Vec<(String, String)>,
}

impl ShownAs {
    fn new(course: &Course, sources: &Sources, src_dir: &Path) -> ShownAs {
        let original = match sources {
            Sources::Other(path) if path.is_file() => path.canonicalize().ok(),
            _ => None,
        };
        let mut shown = ShownAs { replace: Vec::new() };
        if let Some(original) = original.filter(|_| src_dir.starts_with(course.work_dir())) {
            shown.add(course, &src_dir.join("lib.rs"), &original);
        }
        shown
    }

    /// The same, for code built from `copy`, a copy of the folder `src_dir`.
    fn with_copy(&self, course: &Course, copy: &Path, src_dir: &Path) -> ShownAs {
        let mut shown = ShownAs { replace: Vec::new() };
        shown.add(course, copy, src_dir);
        shown.replace.extend(self.replace.iter().cloned());
        shown
    }

    fn add(&mut self, course: &Course, copy: &Path, original: &Path) {
        let copy = copy.to_string_lossy().into_owned();
        let original = course.relativize(&original.to_string_lossy());
        self.replace.push((copy.clone(), original.clone()));
        self.replace.push((course.relativize(&copy), original));
    }

    fn text(&self, text: &str) -> String {
        self.replace.iter().fold(text.to_string(), |text, (copy, original)| text.replace(copy.as_str(), original))
    }

    fn outcome(&self, outcome: &TestOutcome) -> TestOutcome {
        let mut shown = outcome.clone();
        if self.replace.is_empty() {
            return shown;
        }
        shown.message = self.text(&shown.message);
        shown.location = shown.location.map(|l| self.text(&l));
        shown.stderr_tail = self.text(&shown.stderr_tail);
        for panic in &mut shown.learner_panics {
            panic.location = self.text(&panic.location);
        }
        shown
    }
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
        crate::engine::compile::write_if_changed(&dir.join("lib.rs"), &text)?;
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
