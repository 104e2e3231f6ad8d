//! Building an exercise's hidden tests against one set of sources.
//!
//! The sources can be the learner's `exercises/NN/src`, the reference
//! solution, or a mutant. They all have the same crate name, so they cannot
//! be members of one workspace. Instead each build gets a generated package
//! under `target/threadwork/packages/<dir>-<variant>/`: its `[lib]` points at
//! the chosen sources, its one `[[test]]` at `tests/NN/main.rs`, and its
//! dependencies are the course's own (from the exercise's and the tests'
//! manifests, resolved against the root `[workspace.dependencies]`). The
//! learner's `Cargo.toml` is therefore never used for a build. Every
//! generated package shares one target folder, so dependencies are compiled
//! once. Sources that would make the compiler read files outside their own
//! folder are not built at all (`reach.rs`).

use crate::engine::course::{Course, Exercise};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use toml::{Table, Value};

/// The result of building one exercise's hidden tests.
#[derive(Debug)]
pub enum Build {
    /// The hidden test binary.
    Built { test_binary: PathBuf, duration: Duration },
    /// The learner's code (or the tests against it) did not compile. `rendered`
    /// holds the compiler's messages for this crate, paths made relative.
    CompileError { rendered: String, duration: Duration },
}

/// Builds the hidden tests of `ex` against the crate sources in `src_dir`.
/// `variant` names the build folder (`learner`, `solution`, `mutant-NAME`).
/// `progress` is told what cargo is compiling, for a spinner.
pub fn build_hidden_tests(
    course: &Course,
    ex: &Exercise,
    src_dir: &Path,
    variant: &str,
    color: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<Build> {
    build_tests_from(
        course,
        ex,
        src_dir,
        &course.tests_dir(ex),
        variant,
        color,
        Some(course.build_time_limit()),
        progress,
    )
}

/// [`build_hidden_tests`] with the test sources taken from `tests_dir` (a
/// copy of the exercise's tests with a grader's private tests laid over
/// it). The tests' dependencies still come from the course's own manifest.
#[allow(clippy::too_many_arguments)]
pub fn build_tests_from(
    course: &Course,
    ex: &Exercise,
    src_dir: &Path,
    tests_dir: &Path,
    variant: &str,
    color: bool,
    time_limit: Option<Duration>,
    progress: &mut dyn FnMut(&str),
) -> Result<Build> {
    build_tier(course, ex, src_dir, tests_dir, variant, Tier::Ordinary, color, time_limit, progress)
}

/// Which hidden tests a build is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// `tests/NN/main.rs` against the sources as they are.
    Ordinary,
    /// `tests/NN/explore.rs` against the sources rewritten onto shuttle
    /// (`explore.rs`), with shuttle and the test kit's `explore` feature.
    Explore,
}

/// Builds the schedule-exploration tests of `ex` (`tests_dir` must hold
/// `explore.rs`) against the sources in `src_dir`, rewritten for
/// exploration. A compile error here means the code cannot be explored.
pub fn build_exploration(
    course: &Course,
    ex: &Exercise,
    src_dir: &Path,
    tests_dir: &Path,
    variant: &str,
    color: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<Build> {
    if let Some(refusal) = crate::engine::reach::refusal(src_dir).or_else(|| crate::engine::explore::refusal(src_dir)) {
        return Ok(Build::CompileError { rendered: refusal, duration: Duration::ZERO });
    }
    let variant = format!("{variant}-explore");
    let rewritten = crate::engine::explore::prepare_sources(course, ex, src_dir, &variant)?;
    build_tier(
        course,
        ex,
        &rewritten,
        tests_dir,
        &variant,
        Tier::Explore,
        color,
        Some(course.build_time_limit()),
        progress,
    )
}

#[allow(clippy::too_many_arguments)]
fn build_tier(
    course: &Course,
    ex: &Exercise,
    src_dir: &Path,
    tests_dir: &Path,
    variant: &str,
    tier: Tier,
    color: bool,
    time_limit: Option<Duration>,
    progress: &mut dyn FnMut(&str),
) -> Result<Build> {
    let started = Instant::now();
    // Sources that would make rustc read files outside them are never built:
    // it runs as the grader's user, next to the solutions (see reach.rs).
    if let Some(refusal) = crate::engine::reach::refusal(src_dir) {
        return Ok(Build::CompileError { rendered: refusal, duration: started.elapsed() });
    }
    let package_dir = course.work_dir().join("packages").join(format!("{}-{variant}", ex.dir));
    std::fs::create_dir_all(&package_dir).with_context(|| format!("cannot create {}", package_dir.display()))?;
    let manifest = generated_manifest(course, ex, src_dir, tests_dir, variant, tier)?;
    write_if_changed(&package_dir.join("Cargo.toml"), &manifest)?;
    // Start from the course's lock file so every build uses the versions the
    // course was tested with; cargo prunes it to this package's needs.
    let root_lock = course.root.join("Cargo.lock");
    if root_lock.is_file() {
        let lock = std::fs::read_to_string(&root_lock).context("cannot read Cargo.lock")?;
        write_if_changed(&package_dir.join("Cargo.lock"), &lock)?;
    }

    // Every variant is a package of its own name (see `package_name`), so
    // cargo gives each its own artifacts and incremental state in the shared
    // target folder. Cargo still builds one package at a time in a target
    // folder; the lock makes processes that share a course (a grader, a
    // verify and a check) wait their turn in order, and tests run from a
    // private copy of the binary, so that a rebuild of the same variant
    // (`watch`) never swaps the file under a running test.
    let _build_lock = crate::engine::filelock::lock(&target_dir(course).join("threadwork-build.lock"))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["test", "--no-run", "--quiet", "--test", "hidden", "--manifest-path"])
        .arg(package_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir(course))
        .arg(if color { "--message-format=json-diagnostic-rendered-ansi" } else { "--message-format=json" })
        .arg(if color { "--color=always" } else { "--color=never" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that the build's time limit stops
        // cargo and every rustc it started.
        .process_group(0)
        .spawn()
        .context("cannot run cargo: is the Rust toolchain installed?")?;
    let (finished, watchdog) = build_watchdog(child.id() as libc::pid_t, time_limit);

    // cargo's own messages (download or resolution failures) come on stderr;
    // read them on the side so neither pipe fills up.
    let mut stderr = child.stderr.take().expect("piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let package_marker = package_dir.to_string_lossy().into_owned();
    let mut test_binary = None;
    let mut our_diagnostics = String::new();
    let mut our_errors = 0usize;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.context("cannot read cargo's output")?;
        let Ok(message) = serde_json::from_str::<CargoMessage>(&line) else { continue };
        let ours = message.package_id.as_deref().is_some_and(|id| id.contains(&package_marker));
        match message.reason.as_str() {
            "compiler-artifact" => {
                if let Some(target) = &message.target {
                    if ours && target.name == "hidden" && target.kind.iter().any(|k| k == "test") {
                        test_binary = message.executable.clone();
                    }
                    progress(&target.name);
                }
            }
            "compiler-message" if ours => {
                if let Some(diag) = &message.message {
                    if diag.level == "error" {
                        our_errors += 1;
                    }
                    if matches!(diag.level.as_str(), "error" | "warning")
                        && let Some(rendered) = &diag.rendered
                    {
                        our_diagnostics.push_str(rendered);
                    }
                }
            }
            _ => {}
        }
    }
    let status = child.wait().context("cargo did not finish")?;
    let _ = finished.send(());
    let stopped = watchdog.join().unwrap_or(false);
    let cargo_stderr = stderr_reader.join().unwrap_or_default();
    let duration = started.elapsed();
    if stopped {
        let rendered = format!(
            "error: the build of `{}` with its hidden tests took over {} s and was stopped. Something in the \
             code keeps the compiler busy: a `const` or `static` computed by a loop that does not end (with \
             the long_running_const_eval lint allowed), or macros or generics that expand without end.\n",
            ex.name,
            time_limit.unwrap_or_default().as_secs_f64()
        );
        return Ok(Build::CompileError { rendered, duration });
    }
    if status.success() {
        let built = test_binary.context("cargo built the tests but named no test binary")?;
        let test_binary = private_copy(&built, &package_dir)?;
        return Ok(Build::Built { test_binary, duration: started.elapsed() });
    }
    if our_errors > 0 {
        return Ok(Build::CompileError { rendered: course.relativize(&our_diagnostics), duration });
    }
    bail!(
        "cargo failed before it could compile `{}` (not a problem in your code):\n{}",
        ex.name,
        course.relativize(cargo_stderr.trim())
    )
}

/// Kills the process group `pid` (cargo and its rustc) if nothing is sent
/// on the returned channel within `limit`; the thread returns whether it did.
fn build_watchdog(pid: libc::pid_t, limit: Option<Duration>) -> (mpsc::Sender<()>, std::thread::JoinHandle<bool>) {
    let (finished, wait) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let out_of_time = match limit {
            Some(limit) => matches!(wait.recv_timeout(limit), Err(mpsc::RecvTimeoutError::Timeout)),
            None => {
                let _ = wait.recv();
                false
            }
        };
        if out_of_time {
            // SAFETY: plain syscall on the build's own process group.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        out_of_time
    });
    (finished, watchdog)
}

/// Copies the test binary cargo built to `package_dir/hidden`, replacing
/// any earlier copy in one step (a copy still running keeps its old file).
fn private_copy(built: &Path, package_dir: &Path) -> Result<PathBuf> {
    let copy = package_dir.join("hidden");
    let tmp = package_dir.join(".hidden.tmp");
    std::fs::copy(built, &tmp).with_context(|| format!("cannot copy {} to {}", built.display(), tmp.display()))?;
    std::fs::rename(&tmp, &copy).with_context(|| format!("cannot write {}", copy.display()))?;
    Ok(copy)
}

/// The shared target folder of every generated package.
pub fn target_dir(course: &Course) -> PathBuf {
    std::env::var_os("THREADWORK_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| course.work_dir().join("target"))
}

#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    package_id: Option<String>,
    target: Option<CargoTarget>,
    executable: Option<PathBuf>,
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

pub fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return Ok(());
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

fn read_toml(path: &Path) -> Result<Table> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.parse::<Table>().with_context(|| format!("{} is not valid TOML", path.display()))
}

/// The manifest of the generated package; see the module documentation.
fn generated_manifest(
    course: &Course,
    ex: &Exercise,
    src_dir: &Path,
    test_sources: &Path,
    variant: &str,
    tier: Tier,
) -> Result<String> {
    let root_manifest = read_toml(&course.root.join("Cargo.toml"))?;
    let workspace = root_manifest.get("workspace").and_then(Value::as_table);
    let ws_deps = workspace.and_then(|w| w.get("dependencies")).and_then(Value::as_table).cloned().unwrap_or_default();
    let ws_package = workspace.and_then(|w| w.get("package")).and_then(Value::as_table).cloned().unwrap_or_default();

    // The course's exercise manifest, not a submission's: only its
    // [dependencies] and edition matter.
    let exercise_manifest_dir = course.exercise_dir(ex);
    let exercise_manifest = read_toml(&exercise_manifest_dir.join("Cargo.toml"))?;
    let tests_dir = course.tests_dir(ex);
    let tests_manifest = read_toml(&tests_dir.join("Cargo.toml"))?;

    let edition = match exercise_manifest.get("package").and_then(|p| p.get("edition")) {
        Some(Value::String(e)) => e.clone(),
        _ => ws_package.get("edition").and_then(Value::as_str).unwrap_or("2024").to_string(),
    };
    let test_main = tests_manifest
        .get("test")
        .and_then(Value::as_array)
        .and_then(|tests| tests.first())
        .and_then(|t| t.get("path"))
        .and_then(Value::as_str)
        .unwrap_or("main.rs");

    let test_main = if tier == Tier::Explore { "explore.rs" } else { test_main };

    let empty = Table::new();
    let mut lib_deps = resolve_dependencies(
        exercise_manifest.get("dependencies").and_then(Value::as_table).unwrap_or(&empty),
        &exercise_manifest_dir,
        &ws_deps,
        &course.root,
        &ex.name,
    )?;
    let mut test_deps = resolve_dependencies(
        tests_manifest.get("dev-dependencies").and_then(Value::as_table).unwrap_or(&empty),
        &tests_dir,
        &ws_deps,
        &course.root,
        &ex.name,
    )?;
    if tier == Tier::Explore {
        let mut shuttle = Table::new();
        shuttle.insert("shuttle".into(), toml::toml! { workspace = true }.into());
        let shuttle = resolve_dependencies(&shuttle, &course.root, &ws_deps, &course.root, &ex.name)?;
        lib_deps.extend(shuttle.clone());
        test_deps.extend(shuttle);
        if let Some(Value::Table(testkit)) = test_deps.get_mut("testkit") {
            let features = testkit.entry("features").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = features {
                list.push("explore".into());
            }
        }
    }

    let mut package = Table::new();
    let name = package_name(ex, variant);
    package.insert("name".into(), name.clone().into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), edition.into());
    package.insert("publish".into(), false.into());
    for auto in ["autobins", "autoexamples", "autotests", "autobenches"] {
        package.insert(auto.into(), false.into());
    }
    let mut lib = Table::new();
    lib.insert("name".into(), ex.name.clone().into());
    lib.insert("path".into(), path_value(&src_dir.join("lib.rs")));
    let mut test = Table::new();
    test.insert("name".into(), "hidden".into());
    test.insert("path".into(), path_value(&test_sources.join(test_main)));
    test.insert("harness".into(), false.into());

    let mut manifest = Table::new();
    manifest.insert("package".into(), package.into());
    manifest.insert("lib".into(), lib.into());
    manifest.insert("test".into(), Value::Array(vec![test.into()]));
    manifest.insert("dependencies".into(), lib_deps.into());
    manifest.insert("dev-dependencies".into(), test_deps.into());
    let mut profile = root_manifest.get("profile").and_then(Value::as_table).cloned().unwrap_or_default();
    if !rebuilt_after_edits(variant) {
        // Built once (a mutant, the grading suite): incremental state would
        // only fill the disk, some 20 MB per variant.
        let dev = profile.entry("dev").or_insert_with(|| Table::new().into());
        if let Value::Table(dev) = dev {
            let packages = dev.entry("package").or_insert_with(|| Table::new().into());
            if let Value::Table(packages) = packages {
                packages.insert(name.clone(), toml::toml! { incremental = false }.into());
            }
        }
    }
    if !profile.is_empty() {
        manifest.insert("profile".into(), profile.into());
    }
    // Its own workspace root, so cargo does not look for one further up.
    manifest.insert("workspace".into(), Table::new().into());
    Ok(format!(
        "# Generated by `cargo xtask` for building {}'s hidden tests; edits are overwritten.\n{}",
        ex.dir,
        toml::to_string(&manifest)?
    ))
}

/// The generated package's name: the exercise's crate name (which stays
/// the library's name, for the tests' `use counter::...`) and the variant.
/// Cargo hashes a path package's identity relative to its workspace root,
/// so packages of one name in one-package workspaces would share artifact
/// names and one incremental cache, and each build of one variant would
/// undo the compiler's saved work for the last.
fn package_name(ex: &Exercise, variant: &str) -> String {
    let variant: String =
        variant.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{}-{variant}", ex.name)
}

/// Variants rebuilt again and again after small changes, where the
/// compiler's incremental state pays: the learner's own code (`check`,
/// `watch`) and a grader's build slots, which see one submission after
/// another of the same exercise.
fn rebuilt_after_edits(variant: &str) -> bool {
    let base = variant.strip_suffix("-explore").unwrap_or(variant);
    base == "learner" || base.strip_prefix("grade-").is_some_and(|slot| slot.parse::<usize>().is_ok())
}

fn path_value(path: &Path) -> Value {
    Value::String(path.to_string_lossy().into_owned())
}

/// Resolves `workspace = true` entries and makes paths absolute. The
/// exercise crate itself (a tests manifest's dependency on it) is dropped:
/// the generated package is that crate.
fn resolve_dependencies(
    deps: &Table,
    manifest_dir: &Path,
    ws_deps: &Table,
    root: &Path,
    exercise: &str,
) -> Result<Table> {
    let mut out = Table::new();
    for (name, spec) in deps {
        if name == exercise {
            continue;
        }
        let mut resolved = match spec {
            Value::Table(t) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
                let mut base = match ws_deps.get(name) {
                    Some(Value::String(version)) => {
                        let mut t = Table::new();
                        t.insert("version".into(), version.clone().into());
                        t
                    }
                    Some(Value::Table(t)) => absolutize(t.clone(), root),
                    _ => bail!("`{name}` says workspace = true but the root Cargo.toml does not list it"),
                };
                // A member may add features to the workspace's.
                if let Some(Value::Array(extra)) = t.get("features") {
                    let features = base.entry("features").or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = features {
                        list.extend(extra.iter().cloned());
                    }
                }
                base
            }
            Value::Table(t) => absolutize(t.clone(), manifest_dir),
            Value::String(version) => {
                let mut t = Table::new();
                t.insert("version".into(), version.clone().into());
                t
            }
            other => bail!("dependency `{name}` has an unexpected form: {other}"),
        };
        resolved.remove("workspace");
        out.insert(name.clone(), resolved.into());
    }
    Ok(out)
}

fn absolutize(mut spec: Table, base: &Path) -> Table {
    if let Some(Value::String(p)) = spec.get("path") {
        let abs = base.join(p);
        let abs = abs.canonicalize().unwrap_or(abs);
        spec.insert("path".into(), path_value(&abs));
    }
    spec
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
        let build =
            |src: PathBuf, variant: &str| match build_hidden_tests(&course, ex, &src, variant, false, &mut |_| {})
                .unwrap()
            {
                Build::Built { test_binary, .. } => test_binary,
                Build::CompileError { rendered, .. } => panic!("{rendered}"),
            };
        let solution = build(course.solution_dir(ex).join("src"), "unit-test-solution");
        let stub = build(course.exercise_dir(ex).join("src"), "unit-test-stub");
        assert_ne!(solution, stub);
        let test = "no_texts_give_no_letters";
        let scratch = tempfile::tempdir().unwrap();
        let run = |binary: &Path| {
            crate::engine::runner::run_one(&course, binary, test, Duration::from_secs(60), scratch.path(), None)
                .unwrap()
                .unwrap()
                .status
        };
        assert_eq!(
            run(&solution),
            crate::engine::outcome::TestStatus::Passed,
            "the solution's binary runs the solution"
        );
        assert_eq!(run(&stub), crate::engine::outcome::TestStatus::Failed, "the stub's binary runs the stub");
    }
}
