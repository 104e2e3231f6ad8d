//! The course on disk: its root, `exercises/info.toml`, and the three faces
//! of each exercise (`exercises/NN_name`, `solutions/NN_name`, `tests/NN_name`).

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The version of `exercises/info.toml` this runner understands.
pub const INFO_FORMAT_VERSION: u32 = 1;

/// A course checkout (or a fixture course in the runner's own tests).
#[derive(Debug)]
pub struct Course {
    pub root: PathBuf,
    pub defaults: Defaults,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoFile {
    format_version: u32,
    #[serde(default)]
    defaults: Defaults,
    #[serde(rename = "exercise", default)]
    exercises: Vec<Exercise>,
}

/// Values that apply to every test unless an exercise or a test says otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Wall-clock limit for one hidden test process.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: f64,
    /// Grading only: once an exercise has failed a hidden test (not a rule), each of its tests
    /// that passed is run again at least this many times, and fails at its
    /// first failure. Racy code passes a test now and then by luck; this
    /// makes its partial credit the same from one grading to the next.
    #[serde(default = "default_confirm_runs")]
    pub confirm_runs: u32,
    /// ... and, past `confirm_runs`, goes on while its re-runs have taken
    /// less than this many seconds in all (quick tests are cheap to run
    /// often, and a rare failure needs many runs to show)...
    #[serde(default = "default_confirm_secs")]
    pub confirm_secs: f64,
    /// ... but never more than this many re-runs.
    #[serde(default = "default_confirm_max_runs")]
    pub confirm_max_runs: u32,
    /// Wall-clock limit for one build of an exercise with its hidden tests:
    /// code can keep the compiler busy for ever (a `const` loop with its
    /// lint allowed), and the build lock with it.
    #[serde(default = "default_build_timeout_secs")]
    pub build_timeout_secs: f64,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            timeout_secs: default_timeout_secs(),
            confirm_runs: default_confirm_runs(),
            confirm_secs: default_confirm_secs(),
            confirm_max_runs: default_confirm_max_runs(),
            build_timeout_secs: default_build_timeout_secs(),
        }
    }
}

fn default_confirm_runs() -> u32 {
    40
}

fn default_confirm_secs() -> f64 {
    1.0
}

fn default_confirm_max_runs() -> u32 {
    200
}

fn default_build_timeout_secs() -> f64 {
    600.0
}

fn default_timeout_secs() -> f64 {
    30.0
}

/// One exercise's entry in `exercises/info.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// The crate name: `send_all`.
    pub name: String,
    /// The folder name shared by its three faces: `01_send_all`.
    pub dir: String,
    /// Hints, gentlest first.
    #[serde(default)]
    pub hints: Vec<String>,
    /// The stub's files (relative to the exercise folder) and their git blob
    /// ids, so `reset` can restore them and graders can tell an untouched stub.
    #[serde(default)]
    pub stub: BTreeMap<String, String>,
    /// Overrides the default per-test timeout for this exercise.
    pub timeout_secs: Option<f64>,
    /// Per-test settings, by hidden test name (a rule's test is `rule_NAME`).
    #[serde(default)]
    pub tests: BTreeMap<String, TestSettings>,
    /// Rules of construction checked from the learner's source (see `rules.rs`).
    #[serde(default)]
    pub rules: BTreeMap<String, Rule>,
}

/// A rule of construction: identifiers the learner's code may not use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Identifiers that may not appear in the learner's code (paths, `use`
    /// lines, macro calls), matched whole and case-sensitively.
    pub forbid: Vec<String>,
    /// What the learner reads when the rule is broken: the why, in words.
    pub explanation: String,
}

/// Settings of one hidden test.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSettings {
    /// Points for passing it (default 1).
    pub weight: Option<f64>,
    /// Overrides the timeout for this test.
    pub timeout_secs: Option<f64>,
    /// `grade` runs it this many times (default 1); it passes only if every
    /// repetition passes. For stress tests whose mistakes show now and then.
    pub repeat: Option<u32>,
    /// Who sees it on Gradescope: `visible` (default), `after_due_date`,
    /// `after_published` or `hidden`.
    pub visibility: Option<String>,
}

impl Course {
    /// How long one build of learner code may take (`build_timeout_secs`).
    pub fn build_time_limit(&self) -> Duration {
        Duration::from_secs_f64(self.defaults.build_timeout_secs.max(1.0))
    }

    /// Loads the course at `root` and checks that its exercises are all there.
    pub fn load(root: &Path) -> Result<Course> {
        let info_path = root.join("exercises/info.toml");
        let text = std::fs::read_to_string(&info_path).with_context(|| {
            format!("cannot read {}: is {} a threadwork course?", info_path.display(), root.display())
        })?;
        let info: InfoFile = toml::from_str(&text).with_context(|| format!("{} is not valid", info_path.display()))?;
        if info.format_version != INFO_FORMAT_VERSION {
            bail!(
                "{} has format_version {}, this runner reads {}: update the course or the runner",
                info_path.display(),
                info.format_version,
                INFO_FORMAT_VERSION
            );
        }
        let course = Course { root: root.to_path_buf(), defaults: info.defaults, exercises: info.exercises };
        for ex in &course.exercises {
            for face in [course.exercise_dir(ex), course.tests_dir(ex)] {
                if !face.is_dir() {
                    bail!("exercise `{}` is listed in info.toml but {} is missing", ex.name, face.display());
                }
            }
        }
        Ok(course)
    }

    /// Finds an exercise by crate name (`counter`), folder (`04_counter`) or
    /// number (`4`, `04`).
    pub fn find(&self, key: &str) -> Result<&Exercise> {
        let key = key.trim_end_matches('/');
        let key = key.rsplit('/').next().unwrap_or(key);
        let by_number = key.parse::<usize>().ok();
        self.exercises
            .iter()
            .enumerate()
            .find(|(i, ex)| ex.name == key || ex.dir == key || by_number == Some(i + 1))
            .map(|(_, ex)| ex)
            .ok_or_else(|| {
                let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
                crate::exit::Usage(format!("no exercise named `{key}`; the exercises are: {}", names.join(", "))).into()
            })
    }

    /// The 1-based position of an exercise in the course.
    pub fn number(&self, ex: &Exercise) -> usize {
        self.exercises.iter().position(|e| e.name == ex.name).map_or(0, |i| i + 1)
    }

    pub fn exercise_dir(&self, ex: &Exercise) -> PathBuf {
        self.root.join("exercises").join(&ex.dir)
    }

    pub fn solution_dir(&self, ex: &Exercise) -> PathBuf {
        self.root.join("solutions").join(&ex.dir)
    }

    pub fn tests_dir(&self, ex: &Exercise) -> PathBuf {
        self.root.join("tests").join(&ex.dir)
    }

    /// Whether the exercise has a schedule-exploration tier
    /// (`tests/NN/explore.rs`).
    pub fn has_exploration_tier(&self, ex: &Exercise) -> bool {
        self.tests_dir(ex).join("explore.rs").is_file()
    }

    pub fn mutants_dir(&self, ex: &Exercise) -> PathBuf {
        self.tests_dir(ex).join("mutants")
    }

    /// Where the runner keeps its builds, results and progress.
    pub fn work_dir(&self) -> PathBuf {
        self.root.join("target/threadwork")
    }

    /// The timeout of one hidden test.
    pub fn timeout(&self, ex: &Exercise, test: &str) -> Duration {
        let secs =
            ex.tests.get(test).and_then(|t| t.timeout_secs).or(ex.timeout_secs).unwrap_or(self.defaults.timeout_secs);
        Duration::from_secs_f64(secs.max(0.1))
    }

    /// How many times `grade` runs a test; it passes only if all pass.
    pub fn repeat(&self, ex: &Exercise, test: &str) -> u32 {
        ex.tests.get(test).and_then(|t| t.repeat).unwrap_or(1).max(1)
    }

    /// Who sees a test's result on Gradescope.
    pub fn visibility(&self, ex: &Exercise, test: &str) -> String {
        ex.tests.get(test).and_then(|t| t.visibility.clone()).unwrap_or_else(|| "visible".to_string())
    }

    /// The points a hidden test is worth.
    pub fn weight(&self, ex: &Exercise, test: &str) -> f64 {
        ex.tests.get(test).and_then(|t| t.weight).unwrap_or(1.0)
    }

    /// Shortens a path under the course root for display.
    pub fn display_path<'a>(&self, path: &'a Path) -> std::borrow::Cow<'a, str> {
        match path.strip_prefix(&self.root) {
            Ok(rel) => rel.to_string_lossy(),
            Err(_) => path.to_string_lossy(),
        }
    }

    /// Replaces the course root in tool output with nothing, so paths read as
    /// `exercises/04_counter/src/lib.rs` as the learner knows them.
    pub fn relativize(&self, text: &str) -> String {
        let mut root = self.root.to_string_lossy().into_owned();
        if !root.ends_with('/') {
            root.push('/');
        }
        text.replace(&root, "")
    }
}

/// The course this xtask was built from: the parent of `xtask/`.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the course root").to_path_buf()
}
