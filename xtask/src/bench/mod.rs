//! `cargo xtask bench`: how fast the learner's loop and the grader are on
//! this machine, against what people would use instead, written to
//! `bench/results.md`.
//!
//! Everything runs in a scratch copy of the course under
//! `target/threadwork/bench/course`, so the learner's exercises and
//! progress are never touched. Its `.cargo/config.toml` adds the probes of
//! `probe.rs` (rustc and the linker, timed), and the commands run there
//! exactly as a learner or a grader types them: `cargo xtask check ...`,
//! `cargo xtask grade ...`. The first run builds the dependencies there
//! once (minutes); later runs reuse them.
//!
//! Parts: `loop` (learner_loop.rs), `grading` (grading.rs), `cost`
//! (cost.rs). Timing figures live only here and in the results file: no
//! test asserts on them.

mod cost;
mod grading;
mod learner_loop;
pub mod probe;

use crate::engine::course::Course;
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Saving an edit to `check`'s verdict, against plain `cargo test`.
    Loop,
    /// Seconds per submission of a generated batch, against a naive shell
    /// loop and against the lower bound.
    Grading,
    /// CPU time of each exercise's hidden tests, per tier.
    Cost,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Parts to run (repeat; default: all three).
    #[arg(long = "part", value_enum, value_name = "PART")]
    pub parts: Vec<Part>,
    /// Edits timed in the learner loop, each checked by `check` and by
    /// plain `cargo test` (at least 10 for the results file's medians).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub edits: usize,
    /// Full-course submissions in the grading batch (at least 40 for the
    /// results file).
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub submissions: usize,
    /// Skip the naive baseline (it takes longer than the grader).
    #[arg(long)]
    pub no_baseline: bool,
    /// Runs of each solution's hidden tests for their CPU cost.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub cost_runs: usize,
    /// Where to write the results (default: bench/results.md in the course).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The scratch course and the places the benchmark works in.
pub struct Bench {
    /// `target/threadwork/bench`.
    pub dir: PathBuf,
    /// The scratch course, with the probes in its cargo configuration.
    pub scratch: PathBuf,
    /// The same files with the course's own cargo configuration: what a
    /// fresh checkout holds, for the naive baseline.
    pub pristine: PathBuf,
    /// Where the probes and their log are.
    pub probes: PathBuf,
    pub cores: usize,
}

impl Bench {
    /// `cargo xtask ARGS` in the scratch course, as a user types it.
    pub fn cargo_xtask(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command.arg("xtask").current_dir(&self.scratch);
        // The scratch course's own target folders, never the caller's.
        for var in ["THREADWORK_TARGET_DIR", "THREADWORK_ROOT", "CARGO_TARGET_DIR", "RUSTC_WRAPPER"] {
            command.env_remove(var);
        }
        command
    }

    pub fn log(&self) -> probe::Log {
        probe::Log::in_dir(&self.probes)
    }
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let parts = if args.parts.is_empty() { vec![Part::Loop, Part::Grading, Part::Cost] } else { args.parts.clone() };
    let bench = prepare(course)?;
    let machine = Machine::read();
    eprintln!("bench: {}", machine.one_line());
    let mut sections = Vec::new();
    for part in &parts {
        let text = match part {
            Part::Loop => learner_loop::run(course, &bench, &args)?,
            Part::Grading => grading::run(course, &bench, &args)?,
            Part::Cost => cost::run(course, &args)?,
        };
        sections.push(text);
    }
    let out = args.out.clone().unwrap_or_else(|| course.root.join("bench/results.md"));
    let mut text = String::new();
    let _ = writeln!(text, "# threadwork benchmarks\n");
    let _ = writeln!(text, "Written by `cargo xtask bench` on {}.\n", crate::timestamp::now_rfc3339());
    let _ = writeln!(text, "{}\n", machine.table());
    let _ = writeln!(
        text,
        "Re-run: `cargo xtask bench` (all parts, about 40 minutes on 2 cores; `--part loop|grading|cost` for \
         one, `--help` for the sizes). Run it on an otherwise idle machine: every figure is wall or CPU time \
         measured in this run, nothing is carried over. Commands run in a scratch copy of the course \
         (`target/threadwork/bench/course`) whose cargo configuration times each rustc and linker run \
         (`xtask/src/bench/probe.rs`); that adds a process start of a few ms to each.\n"
    );
    for section in sections {
        let _ = writeln!(text, "{}", section.trim_end());
        text.push('\n');
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&out, &text).with_context(|| format!("cannot write {}", out.display()))?;
    println!("{text}");
    eprintln!("bench: wrote {}", out.display());
    Ok(crate::exit::OK)
}

/// Copies the course into the scratch and pristine folders (only files
/// that changed, so their builds stay warm) and installs the probes.
fn prepare(course: &Course) -> Result<Bench> {
    let dir = course.work_dir().join("bench");
    let scratch = dir.join("course");
    let pristine = dir.join("pristine");
    let probes = dir.join("probes");
    for to in [&scratch, &pristine] {
        for entry in ["Cargo.toml", "Cargo.lock", "rustfmt.toml", ".cargo", "exercises", "tests", "solutions", "xtask"]
        {
            let from = course.root.join(entry);
            // The scratch course's cargo configuration is written below.
            if from.exists() && !(to == &scratch && entry == ".cargo") {
                sync(&from, &to.join(entry))?;
            }
        }
    }
    probe::install(&probes)?;
    let host = host_triple()?;
    let config = std::fs::read_to_string(course.root.join(".cargo/config.toml")).unwrap_or_default();
    let probed = format!(
        "{config}\n# Added by `cargo xtask bench`: time every rustc and linker run (xtask/src/bench/probe.rs).\n\
         [build]\nrustc-wrapper = {:?}\n\n[target.{host}]\nlinker = {:?}\n",
        probes.join(probe::RUSTC_PROBE).to_string_lossy(),
        probes.join(probe::LINKER_PROBE).to_string_lossy(),
    );
    std::fs::create_dir_all(scratch.join(".cargo"))?;
    // Written only when it changes: cargo rebuilds everything when its
    // configuration is newer than the builds.
    let config_path = scratch.join(".cargo/config.toml");
    if std::fs::read_to_string(&config_path).ok().as_deref() != Some(probed.as_str()) {
        std::fs::write(&config_path, &probed)?;
    }
    let cores = crate::engine::process::default_jobs();
    Ok(Bench { dir, scratch, pristine, probes, cores })
}

/// Makes `to` a copy of `from` (a file or a folder), writing only files
/// whose contents differ and removing files `from` does not have. `target`
/// folders are left out.
fn sync(from: &Path, to: &Path) -> Result<()> {
    if from.is_file() {
        let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        if std::fs::read(to).ok().as_deref() != Some(bytes.as_slice()) {
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(to, &bytes).with_context(|| format!("cannot write {}", to.display()))?;
        }
        return Ok(());
    }
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut wanted = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        wanted.insert(name.clone());
        sync(&entry.path(), &to.join(&name))?;
    }
    for entry in std::fs::read_dir(to).with_context(|| format!("cannot list {}", to.display()))? {
        let entry = entry?;
        if !wanted.contains(&entry.file_name()) && entry.file_name() != "target" {
            let path = entry.path();
            if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) }
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().context("cannot run rustc -vV")?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find_map(|l| l.strip_prefix("host: ")) {
        Some(host) => Ok(host.trim().to_string()),
        None => bail!("rustc -vV names no host"),
    }
}

/// What the figures were measured on.
struct Machine {
    cores: usize,
    cpu: String,
    memory: String,
    kernel: String,
    toolchain: String,
    load: String,
}

impl Machine {
    fn read() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
            .unwrap_or_else(|| "unknown".into());
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
            .map_or("unknown".into(), |kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0));
        Machine {
            cores: crate::engine::process::default_jobs(),
            cpu,
            memory,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            toolchain: crate::toolchain::version_line(),
            load: read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        }
    }

    fn one_line(&self) -> String {
        format!("{} cores ({}), {}, load average {} at the start", self.cores, self.cpu, self.memory, self.load)
    }

    fn table(&self) -> String {
        format!(
            "| machine | |\n|---|---|\n| cores | {} |\n| CPU | {} |\n| memory | {} |\n| kernel | Linux {} |\n\
             | toolchain | {} |\n| load average at the start | {} |",
            self.cores, self.cpu, self.memory, self.kernel, self.toolchain, self.load
        )
    }
}

/// Median, min and max of `values` (which must not be empty).
pub fn spread(values: &[Duration]) -> (Duration, Duration, Duration) {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2 };
    (median, sorted[0], sorted[n - 1])
}

pub fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        assert_eq!(
            spread(&ms(&[30, 10, 20])),
            (Duration::from_millis(20), Duration::from_millis(10), Duration::from_millis(30))
        );
        assert_eq!(spread(&ms(&[40, 10, 20, 30])).0, Duration::from_millis(25));
    }

    /// The scratch course follows the course: changed files are rewritten,
    /// removed ones go, unchanged ones keep their time stamps (and so
    /// their builds), and `target` is never copied.
    #[test]
    fn sync_rewrites_only_what_changed_and_removes_what_is_gone() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(from.path().join("a/target")).unwrap();
        std::fs::write(from.path().join("a/keep.rs"), "same").unwrap();
        std::fs::write(from.path().join("a/edit.rs"), "old").unwrap();
        std::fs::write(from.path().join("a/target/big"), "build output").unwrap();
        sync(&from.path().join("a"), &to.path().join("a")).unwrap();
        assert!(!to.path().join("a/target").exists());
        let stamp = |p: &str| std::fs::metadata(to.path().join(p)).unwrap().modified().unwrap();
        let kept = stamp("a/keep.rs");
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(from.path().join("a/edit.rs"), "new").unwrap();
        std::fs::write(from.path().join("a/keep.rs"), "same").unwrap();
        std::fs::write(to.path().join("a/stale.rs"), "gone upstream").unwrap();
        sync(&from.path().join("a"), &to.path().join("a")).unwrap();
        assert_eq!(std::fs::read_to_string(to.path().join("a/edit.rs")).unwrap(), "new");
        assert_eq!(stamp("a/keep.rs"), kept);
        assert!(!to.path().join("a/stale.rs").exists());
    }
}
