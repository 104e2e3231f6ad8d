//! `cargo xtask check [EXERCISE...]`: build an exercise with its hidden tests
//! and run each test in its own process.
//!
//! With no exercise named it walks the course in order, like rustlings: an
//! exercise that passed before and has not changed is not re-run, and it
//! stops at the first exercise that fails (`--all` goes on).

use crate::engine::course::{Course, Exercise};
use crate::engine::judge::{
    self, BuildOptions, BuildProgress, BuildVerdict, ExplorationVerdict, Origin, Plan, Reruns, Sources, Stop, Subject,
    Tier, Unexplorable,
};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus, TestOutcome};
use crate::progress::{Progress, fingerprint};
use crate::report::{Human, JsonLines, Reporter};
use anyhow::Result;
use std::collections::BTreeMap;
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
    let subject = Subject::new(course, ex, sources)?;
    let shown = ShownAs::new(course, sources, &subject.sources);
    let color = spinner_allowed && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let spinner = Spinner::new(spinner_allowed);
    let progress = |step: BuildProgress| match step {
        BuildProgress::Started(Tier::Ordinary) => spinner.start(&format!("building {} with its hidden tests", ex.name)),
        BuildProgress::Started(Tier::Explore) => {
            spinner.start(&format!("building {} for schedule exploration", ex.name))
        }
        BuildProgress::Compiled(what) => spinner.set(what),
        BuildProgress::Done => spinner.finish(),
    };
    let options = BuildOptions { color, time_limit: Some(course.build_time_limit()), progress: &progress };
    let plan = Plan { only, jobs: &|| jobs, stop: Stop::Never, reruns: Reruns::Never, origins: judge::ALL_ORIGINS };
    // The exploration tier is built from a rewritten copy that keeps every
    // line where it was: its messages name the sources judged.
    let explored = shown.with_copy(course, &subject.exploration_copy(), &subject.sources);
    let shown_as = |judged: &judge::Judged| match judged.origin {
        Origin::Explored => explored.outcome(&judged.outcome),
        Origin::Hidden | Origin::Rule => shown.outcome(&judged.outcome),
    };
    // Tests end in any order; they are told in declaration order.
    let ordered = Mutex::new(InOrder { next: 0, pending: BTreeMap::new(), reporter: &mut *reporter });
    let verdict = judge::judge(&subject, &options, &plan, &|i, judged| {
        let mut o = ordered.lock().unwrap();
        o.pending.insert(i, shown_as(judged));
        loop {
            let next = o.next;
            let Some(ready) = o.pending.remove(&next) else { break };
            o.reporter.test_finished(course, ex, &ready);
            o.next += 1;
        }
    });
    drop(ordered);
    let verdict = verdict?;
    let outcome = match verdict.build {
        BuildVerdict::CompileError { cause, compiler_output, duration } => ExerciseOutcome {
            name: ex.name.clone(),
            dir: ex.dir.clone(),
            status: ExerciseStatus::CompileError,
            tests: Vec::new(),
            compiler_output: Some(shown.text(&compiler_output)),
            build_failure: Some(cause),
            build_duration: duration,
            exploration_build_duration: None,
        },
        BuildVerdict::Built { duration } => {
            if let Some(ExplorationVerdict::Skipped(why)) = &verdict.exploration {
                reporter.note(course, ex, &skipped_note(ex, why));
            }
            let tests: Vec<TestOutcome> = verdict.judgement.tests.iter().map(shown_as).collect();
            ExerciseOutcome {
                name: ex.name.clone(),
                dir: ex.dir.clone(),
                status: if verdict.judgement.all_passed() { ExerciseStatus::Passed } else { ExerciseStatus::Failed },
                tests,
                compiler_output: None,
                build_failure: None,
                build_duration: duration,
                exploration_build_duration: verdict.exploration_build,
            }
        }
    };
    reporter.exercise_finished(course, ex, &outcome);
    Ok(outcome)
}

/// What `check` says when the exploration tier cannot judge these sources.
fn skipped_note(ex: &Exercise, why: &Unexplorable) -> String {
    match why {
        Unexplorable::UnmodelledLibrary(why) => {
            format!("schedule exploration skipped: {why}; the other tests judge it")
        }
        Unexplorable::DoesNotBuild => format!(
            "schedule exploration skipped: {} does not build on shuttle's threads and locks (it uses \
             something of std::sync or std::thread that shuttle does not model); the other tests judge it",
            ex.name
        ),
    }
}

struct InOrder<'r> {
    next: usize,
    pending: BTreeMap<usize, TestOutcome>,
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

/// A spinner on stderr while cargo works, only on a terminal without NO_COLOR.
struct Spinner {
    on: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Spinner {
    fn new(allowed: bool) -> Spinner {
        let on = allowed && std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Spinner { on, bar: Mutex::new(None) }
    }

    fn start(&self, message: &str) {
        if self.on {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(message.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(100));
            *self.bar.lock().unwrap() = Some(bar);
        }
    }

    fn set(&self, compiling: &str) {
        if let Some(bar) = &*self.bar.lock().unwrap() {
            bar.set_message(format!("compiling {compiling}"));
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap().take() {
            bar.finish_and_clear();
        }
    }
}

/// Whether `path` is inside an exercise's learner sources; used by `watch`.
pub fn exercise_of_path<'c>(course: &'c Course, path: &Path) -> Option<&'c Exercise> {
    course.exercises.iter().find(|ex| path.starts_with(course.exercise_dir(ex).join("src")))
}
