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
    /// Grading only: once an exercise has failed a test (not a rule), each
    /// of its hidden tests that passed is run again, and fails at its first
    /// failure, enough times that a mistake it catches in at least this
    /// share of its runs (q)...
    #[serde(default = "default_confirm_catch_rate")]
    pub confirm_catch_rate: f64,
    /// ... is missed by every run with probability at most this (p): the
    /// least n runs with (1 - q)^n <= p (see `engine/confirm.rs`).
    #[serde(default = "default_confirm_miss_chance")]
    pub confirm_miss_chance: f64,
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
            confirm_catch_rate: default_confirm_catch_rate(),
            confirm_miss_chance: default_confirm_miss_chance(),
            build_timeout_secs: default_build_timeout_secs(),
        }
    }
}

fn default_confirm_catch_rate() -> f64 {
    0.2
}

fn default_confirm_miss_chance() -> f64 {
    0.01
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
    /// Grading only: the explored test that checks this test's property in
    /// a smaller setting, and so settles its verdict: when that explored
    /// test fails, it has found a schedule that breaks the property, and
    /// this test is scored failed too, however its own runs went; when it
    /// passes, this test's first run is not confirmed (`engine/confirm.rs`).
    pub explored_by: Option<String>,
    /// Grading only: the explored test whose failure fails this test too
    /// (it checks part of this test's property), though its pass says too
    /// little to spare this test its confirmation runs.
    pub fails_with: Option<String>,
    /// Grading only: this test's verdict cannot depend on the schedule (it
    /// calls, from one thread, code whose contract starts no thread), so
    /// its first run is not confirmed.
    #[serde(default)]
    pub schedule_free: bool,
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

    /// The explored test whose failure fails this hidden test, and whether
    /// its pass settles it too (`explored_by`) or not (`fails_with`).
    pub fn explored_twin<'e>(&self, ex: &'e Exercise, test: &str) -> Option<(&'e str, bool)> {
        let settings = ex.tests.get(test)?;
        match (&settings.explored_by, &settings.fails_with) {
            (Some(by), _) => Some((by, true)),
            (None, Some(with)) => Some((with, false)),
            (None, None) => None,
        }
    }

    /// Whether a hidden test's verdict cannot depend on the schedule (`schedule_free`).
    pub fn schedule_free(&self, ex: &Exercise, test: &str) -> bool {
        ex.tests.get(test).is_some_and(|t| t.schedule_free)
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
