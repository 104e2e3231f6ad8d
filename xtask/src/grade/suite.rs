//! The suite a batch is graded against: each exercise's hidden tests with
//! the grader's private overlay laid over them, and one hash over everything
//! that decides a grade, so that a cached result is reused only when nothing
//! that could change it has changed.

use crate::engine::course::{Course, Exercise};
use crate::engine::judge::{self, BuildOptions, Built, Exploration, Sources, Subject};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where merged test sources live, relative to the course root.
pub const SUITE_DIR: &str = "target/threadwork/grade/suite/";

pub struct Suite {
    /// Per exercise dir: the folder whose `main.rs` is built as the tests.
    pub test_dirs: BTreeMap<String, PathBuf>,
    pub hash: String,
    pub property_seed: String,
    /// Per exercise dir: every test it is graded with (hidden, then rules),
    /// from a build against the stub, so that an exercise that is not
    /// submitted or does not compile still lists what it missed.
    pub tests: BTreeMap<String, Vec<String>>,
    /// Per exercise dir: the schedule-exploration tests among them (none for
    /// an exercise without `explore.rs`).
    pub explored: BTreeMap<String, Vec<String>>,
}

/// What building the suite against the stubs found: the test lists of
/// [`Suite`], kept as `SUITE_DIR/tests-<hash>.json` so that a later grading
/// of the same suite does not start 26 cargo builds only to read them again
/// (seconds on two cores, tens of seconds in a half-CPU container).
#[derive(serde::Serialize, serde::Deserialize)]
struct TestLists {
    tests: BTreeMap<String, Vec<String>>,
    explored: BTreeMap<String, Vec<String>>,
}

/// How [`prepare`] gets the test lists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    /// From the lists a build of this very suite kept, when there are any.
    ReuseKept,
    /// From a build against every stub, whatever was kept: what `grade
    /// --prepare` wants, as the build is what compiles the dependencies.
    Build,
}

/// Copies each exercise's tests (without `mutants/`) under [`SUITE_DIR`],
/// lays `overlay/NN_name/**` over them, and hashes the result with the
/// course files that decide grades.
pub fn prepare(course: &Course, overlay: Option<&Path>, lists: Lists) -> Result<Suite> {
    if let Some(dir) = overlay
        && !dir.is_dir()
    {
        bail!("--tests {}: no such folder", dir.display());
    }
    let root = course.root.join(SUITE_DIR);
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    let mut test_dirs = BTreeMap::new();
    for ex in &course.exercises {
        let merged = root.join(&ex.dir);
        let mut wanted = BTreeMap::new();
        collect_rs_tree(&course.tests_dir(ex), true, &mut wanted)?;
        if let Some(overlay) = overlay {
            let extra = overlay.join(&ex.dir);
            if extra.is_dir() {
                collect_rs_tree(&extra, false, &mut wanted)?;
            }
        }
        sync_tree(&wanted, &merged)?;
        hash_tree(&mut hasher, &format!("suite/{}", ex.dir), &merged)?;
        test_dirs.insert(ex.dir.clone(), merged);
        hash_exercise_files(&mut hasher, course, ex)?;
    }
    for shared in ["exercises/info.toml", "Cargo.toml", "Cargo.lock"] {
        hash_file(&mut hasher, shared, &course.root.join(shared))?;
    }
    hash_tree(&mut hasher, "tests/testkit", &course.root.join("tests/testkit/src"))?;
    hash_file(&mut hasher, "tests/testkit/Cargo.toml", &course.root.join("tests/testkit/Cargo.toml"))?;
    hash_tree(&mut hasher, "tests/protocol", &course.root.join("tests/protocol/src"))?;
    hash_file(&mut hasher, "tests/protocol/Cargo.toml", &course.root.join("tests/protocol/Cargo.toml"))?;
    // The exploration tier's crossbeam-channel and clock.
    hash_tree(&mut hasher, "tests/crossbeam-model", &course.root.join("tests/crossbeam-model/src"))?;
    hash_file(&mut hasher, "tests/crossbeam-model/Cargo.toml", &course.root.join("tests/crossbeam-model/Cargo.toml"))?;
    let hash = hex(&hasher.finalize());
    let property_seed = property_seed(course).unwrap_or_else(|| "unknown".to_string());
    let kept = root.join(format!("tests-{hash}.json"));
    if lists == Lists::ReuseKept
        && let Ok(text) = std::fs::read_to_string(&kept)
        && let Ok(TestLists { tests, explored }) = serde_json::from_str(&text)
    {
        return Ok(Suite { test_dirs, hash, property_seed, tests, explored });
    }
    let mut tests = BTreeMap::new();
    let mut explored = BTreeMap::new();
    // The course's own code, built first, dependencies and all: no time limit.
    let options = BuildOptions { color: false, time_limit: None, progress: &|_| {} };
    for ex in &course.exercises {
        let subject = Subject::new(course, ex, &Sources::Suite { tests: test_dirs[&ex.dir].clone() })?;
        let mut names: Vec<String> = match judge::build(&subject, &options)? {
            Built::Ok(built) => built.tier.names.into_iter().chain(built.rules.into_iter().map(|r| r.name)).collect(),
            Built::CompileError { compiler_output, .. } => {
                bail!("the tests of {} do not compile against its stub (with --tests?):\n{compiler_output}", ex.name)
            }
        };
        let explored_names = match judge::build_exploration(&subject, &options)? {
            Exploration::Absent => Vec::new(),
            Exploration::Built(tier) => tier.names,
            Exploration::Skipped(why) => {
                bail!("the exploration tests of {} do not build against its stub: {why:?}", ex.name)
            }
        };
        names.extend(explored_names.iter().cloned());
        tests.insert(ex.dir.clone(), names);
        explored.insert(ex.dir.clone(), explored_names);
    }
    let lists = TestLists { tests, explored };
    crate::atomic_write::write_atomic(&kept, serde_json::to_string(&lists)?.as_bytes())?;
    Ok(Suite { test_dirs, hash, property_seed, tests: lists.tests, explored: lists.explored })
}

/// The stub and manifests of an exercise decide `not_submitted` and the build.
fn hash_exercise_files(hasher: &mut Sha256, course: &Course, ex: &Exercise) -> Result<()> {
    let dir = course.exercise_dir(ex);
    hash_file(hasher, &format!("{}/Cargo.toml", ex.dir), &dir.join("Cargo.toml"))?;
    hash_file(hasher, &format!("tests/{}/Cargo.toml", ex.dir), &course.tests_dir(ex).join("Cargo.toml"))?;
    hash_tree(hasher, &format!("{}/src", ex.dir), &dir.join("src"))
}

/// Adds every `.rs` file under `from` to `files` (path relative to `from`
/// to the file), over any already there.
fn collect_rs_tree(from: &Path, skip_mutants: bool, files: &mut BTreeMap<PathBuf, PathBuf>) -> Result<()> {
    for file in rs_files(from)? {
        let rel = file.strip_prefix(from).expect("listed under from").to_path_buf();
        if skip_mutants && rel.starts_with("mutants") {
            continue;
        }
        files.insert(rel, file);
    }
    Ok(())
}

/// Makes the `.rs` files under `to` exactly `files`, writing only those
/// whose contents differ: cargo rebuilds on a newer file, so a batch graded
/// against an unchanged suite reuses the last batch's builds of it.
fn sync_tree(files: &BTreeMap<PathBuf, PathBuf>, to: &Path) -> Result<()> {
    if to.is_dir() {
        for file in rs_files(to)? {
            let rel = file.strip_prefix(to).expect("listed under to");
            if !files.contains_key(rel) {
                std::fs::remove_file(&file).with_context(|| format!("cannot remove {}", file.display()))?;
            }
        }
    }
    for (rel, from) in files {
        let dest = to.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let text = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        if std::fs::read(&dest).ok().as_deref() != Some(text.as_slice()) {
            std::fs::write(&dest, &text).with_context(|| format!("cannot write {}", dest.display()))?;
        }
    }
    Ok(())
}

/// Every `.rs` file under `dir`, sorted (symbolic links are not followed).
pub fn rs_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", d.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", d.display()))?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn hash_tree(hasher: &mut Sha256, label: &str, dir: &Path) -> Result<()> {
    for file in rs_files(dir)? {
        let rel = file.strip_prefix(dir).expect("listed under dir");
        hash_file(hasher, &format!("{label}/{}", rel.display()), &file)?;
    }
    Ok(())
}

fn hash_file(hasher: &mut Sha256, label: &str, path: &Path) -> Result<()> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    hasher.update(label.as_bytes());
    hasher.update([0]);
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(&bytes);
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The testkit's `SUITE_SEED`, as written in its source: every property test
/// derives its seed from it and the test's name, so it is what makes property
/// verdicts repeatable, and graders record it.
fn property_seed(course: &Course) -> Option<String> {
    let text = std::fs::read_to_string(course.root.join("tests/testkit/src/property.rs")).ok()?;
    let line = text.lines().find(|l| l.trim_start().starts_with("pub const SUITE_SEED"))?;
    let value = line.split('=').nth(1)?.trim().trim_end_matches(';').trim();
    Some(value.to_string())
}
