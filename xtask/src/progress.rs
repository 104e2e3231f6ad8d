//! What the learner has achieved so far, remembered between runs.
//!
//! `check` records each exercise's verdict with a fingerprint of the sources
//! it judged (the learner's `src/`, the hidden tests and the test kit). A
//! remembered pass counts only while the fingerprint still matches, so an
//! edit after a pass makes the exercise "changed" until it is checked again.
//! The file lives under `target/`, so `cargo clean` forgets it and the next
//! `check` rebuilds it.

use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, ExerciseStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    format_version: u32,
    exercises: BTreeMap<String, Recorded>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    pub fingerprint: String,
    pub status: ExerciseStatus,
    pub passed: usize,
    pub total: usize,
}

/// Where an exercise stands, as far as the runner knows without running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    NotChecked,
    /// Checked, and the sources have not changed since.
    Checked {
        status: ExerciseStatus,
        passed: usize,
        total: usize,
    },
    /// Checked, but the learner (or the tests) changed something since.
    Changed,
}

impl Progress {
    fn path(course: &Course) -> PathBuf {
        course.work_dir().join("progress.json")
    }

    /// Loads the remembered progress; a missing or unreadable file is no progress.
    pub fn load(course: &Course) -> Progress {
        std::fs::read_to_string(Self::path(course))
            .ok()
            .and_then(|text| serde_json::from_str::<Progress>(&text).ok())
            .filter(|p| p.format_version == 1)
            .unwrap_or(Progress { format_version: 1, exercises: BTreeMap::new() })
    }

    pub fn standing(&self, course: &Course, ex: &Exercise) -> Standing {
        match self.exercises.get(&ex.name) {
            None => Standing::NotChecked,
            Some(r) if r.fingerprint == fingerprint(course, ex) => {
                Standing::Checked { status: r.status, passed: r.passed, total: r.total }
            }
            Some(_) => Standing::Changed,
        }
    }

    pub fn is_passed(&self, course: &Course, ex: &Exercise) -> bool {
        matches!(self.standing(course, ex), Standing::Checked { status: ExerciseStatus::Passed, .. })
    }

    /// How many exercises pass, and the first that does not: what the
    /// progress line says. One pass, since each look fingerprints sources.
    pub fn summary<'c>(&self, course: &'c Course) -> (usize, Option<&'c Exercise>) {
        let mut passed = 0;
        let mut next = None;
        for ex in &course.exercises {
            if self.is_passed(course, ex) {
                passed += 1;
            } else if next.is_none() {
                next = Some(ex);
            }
        }
        (passed, next)
    }

    /// Records an outcome and saves the file. Failing to save only loses the
    /// memory of progress, never a verdict, so errors are ignored.
    pub fn record(&mut self, course: &Course, ex: &Exercise, fingerprint: String, outcome: &ExerciseOutcome) {
        self.exercises.insert(
            ex.name.clone(),
            Recorded {
                fingerprint,
                status: outcome.status,
                passed: outcome.passed_count(),
                total: outcome.tests.len(),
            },
        );
        let path = Self::path(course);
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(text) = serde_json::to_string_pretty(self) {
            let tmp = path.with_extension("json.partial");
            if std::fs::write(&tmp, text).is_ok() {
                let _ = std::fs::rename(tmp, path);
            }
        }
    }
}

/// A hash of everything a verdict depends on that the learner or the course
/// can edit: the learner's sources, the hidden tests, the test kit and the
/// protocol it speaks with the runner.
pub fn fingerprint(course: &Course, ex: &Exercise) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for dir in [
        course.exercise_dir(ex).join("src"),
        course.tests_dir(ex),
        course.root.join("tests/testkit/src"),
        course.root.join("tests/protocol/src"),
    ] {
        hash_tree(&dir, &dir, &mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn hash_tree(base: &Path, dir: &Path, hasher: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_tree(base, &path, hasher);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.strip_prefix(base).unwrap_or(&path).hash(hasher);
            bytes.hash(hasher);
        }
    }
}
