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
use crate::engine::outcome::BuildFailure;
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
    /// The sources were not turned into a test binary: `cause` says why,
    /// `rendered` says it in words (the compiler's messages for this crate,
    /// paths made relative, or the reason the build was refused or stopped).
    CompileError { cause: BuildFailure, rendered: String, duration: Duration },
}

/// Whose sources a build is for. Each variant is a generated package of its
/// own (see `package_name`), so builds of one exercise for different
/// sources never undo each other's work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variant {
    /// The learner's own `exercises/NN/src`.
    Learner,
    /// The reference solution.
    Solution,
    /// A mutant, by its file name without `.rs`.
    Mutant(String),
    /// Any other sources a course author names (`check --source`).
    Other(String),
    /// A grader's build slot, reused from one submission to the next.
    GradingSlot(usize),
    /// The grading suite's build against the stub, which lists the tests.
    Suite,
}

impl Variant {
    /// The name the build's folders carry: `learner`, `solution`,
    /// `mutant-NAME`, `other-NAME`, `grade-N`, `grade-suite`.
    pub fn name(&self) -> String {
        match self {
            Variant::Learner => "learner".into(),
            Variant::Solution => "solution".into(),
            Variant::Mutant(name) => format!("mutant-{name}"),
            Variant::Other(name) => format!("other-{name}"),
            Variant::GradingSlot(slot) => format!("grade-{slot}"),
            Variant::Suite => "grade-suite".into(),
        }
    }

    /// Whether the compiler's incremental state pays: for sources rebuilt
    /// again and again after small changes, the learner's own code
    /// (`check`, `watch`) and a grader's build slots, which see one
    /// submission after another of the same exercise. The others (a
    /// mutant, the grading suite) are built once, and their incremental
    /// state would only fill the disk, some 20 MB each.
    fn rebuilt_after_edits(&self) -> bool {
        matches!(self, Variant::Learner | Variant::GradingSlot(_))
    }
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

impl Tier {
    /// The generated package's folder and name for `variant` in this tier.
    fn package(self, variant: &Variant) -> String {
        match self {
            Tier::Ordinary => variant.name(),
            Tier::Explore => format!("{}-explore", variant.name()),
        }
    }
}

/// What a build needs besides the sources: how to show cargo's messages,
/// how long it may take, and whom to tell what cargo is compiling.
pub struct BuildOptions<'p> {
    /// cargo's and rustc's colours (only for a terminal).
    pub color: bool,
    /// Stop the build (cargo and every rustc) after this long; `None` for
    /// the course's own code, which is trusted to build.
    pub time_limit: Option<Duration>,
    /// Told of each crate cargo finishes, and when the build is over, for
    /// a spinner.
    pub progress: &'p (dyn Fn(BuildProgress) + Sync),
}

/// What a build is doing, for a spinner.
#[derive(Debug, Clone, Copy)]
pub enum BuildProgress<'a> {
    /// A build of this tier starts.
    Started(Tier),
    /// cargo has just compiled this crate.
    Compiled(&'a str),
    /// The build (and the listing of its tests) is over.
    Done,
}

/// Builds the hidden tests in `tests_dir` (its `main.rs`, or `explore.rs`
/// for [`Tier::Explore`]) against the crate sources in `src_dir`. For the
/// exploration tier, `src_dir` must already be the rewritten copy
/// (`explore::prepare_sources`). The tests' dependencies come from the
/// course's own manifests, whatever `tests_dir` is (a grader's suite lays
/// private tests over a copy of the course's).
pub(in crate::engine) fn build(
    course: &Course,
    ex: &Exercise,
    (src_dir, tests_dir): (&Path, &Path),
    variant: &Variant,
    tier: Tier,
    options: &BuildOptions,
) -> Result<Build> {
    let started = Instant::now();
    // Sources that would make rustc read files outside them are never built:
    // it runs as the grader's user, next to the solutions (see reach.rs).
    if let Some(refusal) = crate::engine::reach::refusal(src_dir) {
        return Ok(Build::CompileError {
            cause: BuildFailure::Refused,
            rendered: refusal,
            duration: started.elapsed(),
        });
    }
    let (color, time_limit, progress) = (options.color, options.time_limit, options.progress);
    let package = tier.package(variant);
    let package_dir = course.work_dir().join("packages").join(format!("{}-{package}", ex.dir));
    std::fs::create_dir_all(&package_dir).with_context(|| format!("cannot create {}", package_dir.display()))?;
    let manifest = generated_manifest(course, ex, src_dir, tests_dir, &package, variant.rebuilt_after_edits(), tier)?;
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
                    progress(BuildProgress::Compiled(&target.name));
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
        return Ok(Build::CompileError { cause: BuildFailure::TimedOut, rendered, duration });
    }
    if status.success() {
        let built = test_binary.context("cargo built the tests but named no test binary")?;
        let test_binary = private_copy(&built, &package_dir)?;
        return Ok(Build::Built { test_binary, duration: started.elapsed() });
    }
    if our_errors > 0 {
        return Ok(Build::CompileError {
            cause: BuildFailure::Rustc,
            rendered: course.relativize(&our_diagnostics),
            duration,
        });
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
            crate::engine::process::kill_group(pid);
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
    incremental: bool,
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
        // crossbeam-channel, for the learner's code and the tests alike, is
        // the model of it on shuttle (tests/crossbeam-model), which also
        // holds the virtual clock the rewritten `std` uses.
        let mut spec = Table::new();
        spec.insert("path".into(), "tests/crossbeam-model".into());
        spec.insert("package".into(), "threadwork-crossbeam-model".into());
        let mut model = Table::new();
        model.insert("crossbeam-channel".into(), spec.into());
        test_deps.remove("crossbeam-channel");
        lib_deps.extend(resolve_dependencies(&model, &course.root, &ws_deps, &course.root, &ex.name)?);
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
    if !incremental {
        // Built once (a mutant, the grading suite): see `Variant::rebuilt_after_edits`.
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
