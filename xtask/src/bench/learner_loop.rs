//! The learner loop: from saving a one-line edit to `check`'s verdict,
//! against plain `cargo test` on the same exercise and the same edit.
//!
//! The exercise is 04 counter, the course's central lesson, with the
//! reference solution in place. Each round saves four edits, each timed
//! from the moment the file is written:
//! 1. a harmless one (a comment on one line), then `cargo xtask check counter`;
//! 2. another harmless one, then `cargo test -p counter_tests`;
//! 3. the lesson's mistake on that same line (a read and a write under two
//!    locks: a lost update), then `check`;
//! 4. the same mistake, then `cargo test`.
//!
//! The learner's file is put back afterwards, whatever happens.

use super::probe::{BuildSplit, Timed};
use super::{Args, Bench, secs, spread};
use crate::engine::course::Course;
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EXERCISE: &str = "counter";
/// The solution's line every edit changes, and the mistake it becomes.
const LINE: &str = "*self.lock() += 1;";
const MISTAKE: &str = "let now = *self.lock(); *self.lock() = now + 1;";

/// One timed command after one edit.
#[derive(Debug, Default, Clone)]
struct Run {
    /// The first test's verdict on screen.
    first_verdict: Option<Duration>,
    /// The first failing test's line (with its message, for `check`).
    first_failure: Option<Duration>,
    /// The command's end.
    whole: Duration,
    /// `check`: the ordinary tier's build as check timed it; `cargo test`: None.
    build: Option<Duration>,
    exploration_build: Option<Duration>,
    /// rustc and the linker on the exercise's and its tests' crates.
    ordinary: BuildSplit,
    exploration: BuildSplit,
}

pub fn run(course: &Course, bench: &Bench, args: &Args) -> Result<String> {
    let ex = course.find(EXERCISE)?;
    let lib = bench.scratch.join("exercises").join(&ex.dir).join("src/lib.rs");
    let solution = std::fs::read_to_string(bench.scratch.join("solutions").join(&ex.dir).join("src/lib.rs"))
        .context("cannot read the counter's solution")?;
    let Some(line_no) = solution.lines().position(|l| l.trim() == LINE) else {
        bail!("the counter's solution no longer has the line `{LINE}` the learner loop edits");
    };
    let tests_package = package_name(&bench.scratch.join("tests").join(&ex.dir).join("Cargo.toml"))?;
    let _restore = Restore::new(&lib)?;
    let edited = |text: &str| -> String {
        let indent: String = solution.lines().nth(line_no).unwrap_or("").chars().take_while(|c| *c == ' ').collect();
        let mut lines: Vec<String> = solution.lines().map(str::to_string).collect();
        lines[line_no] = format!("{indent}{text}");
        lines.join("\n") + "\n"
    };
    // cargo names a workspace member's sources relative to the workspace
    // (plain `cargo test`), a generated package's in full (`check`).
    let lib_path = format!("exercises/{}/src/lib.rs", ex.dir);
    let tests_main = format!("tests/{}/main.rs", ex.dir);
    let is_ordinary = |t: &Timed| t.source.ends_with(&lib_path) || t.source.ends_with(&tests_main);
    let is_exploration = |t: &Timed| t.source.contains("explore-sources") || t.source.ends_with("explore.rs");

    let check = || {
        let mut c = bench.cargo_xtask();
        c.args(["check", EXERCISE, "--format", "json"]);
        c
    };
    let cargo_test = || {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut c = Command::new(cargo);
        c.args(["test", "-q", "-p", &tests_package]).current_dir(&bench.scratch);
        for var in ["CARGO_TARGET_DIR", "RUSTC_WRAPPER"] {
            c.env_remove(var);
        }
        c
    };

    eprintln!("bench loop: warming up (the first build in the scratch course compiles every dependency)");
    for (i, text) in [format!("{LINE} // warm-up"), format!("{MISTAKE} // warm-up")].iter().enumerate() {
        std::fs::write(&lib, edited(text))?;
        timed(check(), &format!("warm-up check {i}"))?;
        std::fs::write(&lib, edited(&format!("{text} (cargo test)")))?;
        timed(cargo_test(), &format!("warm-up cargo test {i}"))?;
    }

    let log = bench.log();
    let mut runs: [Vec<Run>; 4] = Default::default();
    for round in 0..args.edits {
        eprintln!("bench loop: edit {}/{}", round + 1, args.edits);
        let edits = [
            (format!("{LINE} // edit {round}"), true),
            (format!("{LINE} // edit {round}, for cargo test"), false),
            (format!("{MISTAKE} // edit {round}"), true),
            (format!("{MISTAKE} // edit {round}, for cargo test"), false),
        ];
        for (k, (text, with_check)) in edits.iter().enumerate() {
            let mark = log.mark();
            std::fs::write(&lib, edited(text))?;
            let started = Instant::now();
            let lines = if *with_check { timed(check(), "check")? } else { timed(cargo_test(), "cargo test")? };
            let whole = started.elapsed();
            let entries = log.since(mark);
            let mut run = Run {
                whole,
                ordinary: BuildSplit::of(&entries, is_ordinary),
                exploration: BuildSplit::of(&entries, is_exploration),
                ..Run::default()
            };
            for (at, line) in &lines {
                if *with_check {
                    let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
                    match event["type"].as_str() {
                        Some("test") => {
                            run.first_verdict.get_or_insert(*at);
                            if event["status"] != "passed" {
                                run.first_failure.get_or_insert(*at);
                            }
                        }
                        Some("exercise") => {
                            run.build = event["build_ms"].as_u64().map(Duration::from_millis);
                            run.exploration_build = event["exploration_build_ms"].as_u64().map(Duration::from_millis);
                        }
                        _ => {}
                    }
                } else if line.starts_with("test ") {
                    if line.ends_with(" ok") || line.ends_with(" FAILED") {
                        run.first_verdict.get_or_insert(*at);
                    }
                    if line.ends_with(" FAILED") {
                        run.first_failure.get_or_insert(*at);
                    }
                }
            }
            runs[k].push(run);
        }
    }
    Ok(render(args.edits, &runs, &tests_package))
}

fn render(edits: usize, runs: &[Vec<Run>; 4], tests_package: &str) -> String {
    let [check_pass, test_pass, check_fail, test_fail] = runs;
    let mut out = String::new();
    let _ = writeln!(out, "## 1. Learner loop\n");
    let _ = writeln!(
        out,
        "Exercise 04 `{EXERCISE}` with its reference solution; {edits} rounds. Each round saves a harmless \
         one-line edit and runs `cargo xtask check {EXERCISE} --format json`, saves another and runs plain \
         `cargo test -q -p {tests_package}` (the same hidden tests, built by cargo, run one after another \
         in one process), then turns that line into the lesson's mistake (`{MISTAKE}`) and runs each again. \
         Times are from the moment the file is saved; `check` is typed as a learner types it, so they \
         include `cargo run`'s look at whether xtask is up to date. Median (min–max) in seconds.\n"
    );
    let row = |out: &mut String, label: &str, a: Vec<Duration>, b: Vec<Duration>| {
        let cell = |v: &Vec<Duration>| {
            if v.is_empty() {
                return "—".to_string();
            }
            let (m, lo, hi) = spread(v);
            format!("{} ({}–{})", secs(m), secs(lo), secs(hi))
        };
        let ratio = if a.is_empty() || b.is_empty() {
            "—".to_string()
        } else {
            format!("{:.2}", spread(&a).0.as_secs_f64() / spread(&b).0.as_secs_f64().max(1e-9))
        };
        let _ = writeln!(out, "| {label} | {} | {} | {ratio} |", cell(&a), cell(&b));
    };
    let _ = writeln!(out, "| after a harmless edit | `check` | `cargo test` | check ÷ cargo test |");
    let _ = writeln!(out, "|---|---|---|---|");
    let pick = |runs: &Vec<Run>, f: &dyn Fn(&Run) -> Option<Duration>| -> Vec<Duration> {
        runs.iter().filter_map(f).collect()
    };
    row(
        &mut out,
        "first verdict on screen",
        pick(check_pass, &|r| r.first_verdict),
        pick(test_pass, &|r| r.first_verdict),
    );
    row(&mut out, "whole exercise", pick(check_pass, &|r| Some(r.whole)), pick(test_pass, &|r| Some(r.whole)));
    row(
        &mut out,
        "— rustc on the exercise and its tests (link excluded)",
        pick(check_pass, &|r| Some(r.ordinary.compile_wall)),
        pick(test_pass, &|r| Some(r.ordinary.compile_wall)),
    );
    row(
        &mut out,
        "— linking the test binary",
        pick(check_pass, &|r| Some(r.ordinary.link_wall)),
        pick(test_pass, &|r| Some(r.ordinary.link_wall)),
    );
    row(
        &mut out,
        "— the rest of the ordinary build (cargo)",
        pick(check_pass, &|r| r.build.map(|b| b.saturating_sub(r.ordinary.compile_wall + r.ordinary.link_wall))),
        Vec::new(),
    );
    row(
        &mut out,
        "— building the schedule-exploration tier (while the tests run)",
        pick(check_pass, &|r| r.exploration_build),
        Vec::new(),
    );
    row(
        &mut out,
        "— of which rustc and the linker",
        pick(check_pass, &|r| r.exploration_build.map(|_| r.exploration.compile_wall + r.exploration.link_wall)),
        Vec::new(),
    );
    row(
        &mut out,
        "— everything else (start-up, running the tests)",
        pick(check_pass, &|r| Some(r.whole.saturating_sub(r.build?))),
        pick(test_pass, &|r| Some(r.whole.saturating_sub(r.ordinary.compile_wall + r.ordinary.link_wall))),
    );
    let _ = writeln!(out, "\n| after the mistake | `check` | `cargo test` | check ÷ cargo test |");
    let _ = writeln!(out, "|---|---|---|---|");
    row(
        &mut out,
        "first failing test on screen",
        pick(check_fail, &|r| r.first_failure),
        pick(test_fail, &|r| r.first_failure),
    );
    row(&mut out, "whole exercise", pick(check_fail, &|r| Some(r.whole)), pick(test_fail, &|r| Some(r.whole)));
    let caught = |runs: &Vec<Run>| runs.iter().filter(|r| r.first_failure.is_some()).count();
    let _ = writeln!(
        out,
        "\nThe mistake was caught in {} of {edits} `check` runs and {} of {edits} `cargo test` runs. `check`'s \
         JSON line for a failing test carries its explanation; on the human screen the failing test's line \
         names the kind of mistake at once and the full explanation follows when the exercise ends.\n",
        caught(check_fail),
        caught(test_fail)
    );
    let first = spread(&pick(check_pass, &|r| r.first_verdict)).0;
    let whole = spread(&pick(check_pass, &|r| Some(r.whole))).0;
    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    let _ = writeln!(
        out,
        "Targets: first verdict ≤ 0.5 s: **{}** ({} s); whole exercise ≤ 1.5 s: **{}** ({} s).",
        verdict(first <= Duration::from_millis(500)),
        secs(first),
        verdict(whole <= Duration::from_millis(1500)),
        secs(whole)
    );
    out
}

/// Runs `command` and returns each stdout line with the time it arrived,
/// measured from the start. Its stderr is kept for an error.
fn timed(mut command: Command, what: &str) -> Result<Vec<(Duration, String)>> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let mut stderr = child.stderr.take().expect("piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        lines.push((started.elapsed(), line?));
    }
    let status = child.wait()?;
    let stderr = stderr_reader.join().unwrap_or_default();
    // check exits 1 and cargo test 101 when a test fails: that is a result.
    if !matches!(status.code(), Some(0 | 1 | 101)) {
        bail!("{what} failed ({status}):\n{}", stderr.trim_end());
    }
    Ok(lines)
}

fn package_name(manifest: &Path) -> Result<String> {
    let text = std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table = text.parse().with_context(|| format!("{} is not TOML", manifest.display()))?;
    table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .with_context(|| format!("{} names no package", manifest.display()))
}

/// Puts a file back as it was when dropped.
struct Restore {
    path: PathBuf,
    text: Vec<u8>,
}

impl Restore {
    fn new(path: &Path) -> Result<Restore> {
        let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Restore { path: path.to_path_buf(), text })
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.text) {
            eprintln!("bench: cannot put {} back: {e}", self.path.display());
        }
    }
}
