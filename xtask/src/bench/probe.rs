//! Probes that time the compiler and the linker during a benchmark.
//!
//! The benchmark's scratch course names two copies of the xtask binary in
//! its `.cargo/config.toml`: `rustc-probe` as cargo's `rustc-wrapper` and
//! `linker-probe` as the linker. Started under either name, the binary runs
//! the real program, waits for it with `wait4` (wall and CPU time, its own
//! children included) and appends one JSON line to `probe.log` beside
//! itself. Cargo, rustc and the course see the same builds as without them;
//! each probe adds one process start (a few milliseconds).

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const RUSTC_PROBE: &str = "rustc-probe";
pub const LINKER_PROBE: &str = "linker-probe";
pub const LOG: &str = "probe.log";

/// One timed run of rustc or of the linker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timed {
    /// `rustc` or `link`.
    pub kind: String,
    /// rustc: the crate's name (`counter`, `hidden`, `proptest`).
    #[serde(default)]
    pub krate: String,
    /// rustc: the crate's root source file.
    #[serde(default)]
    pub source: String,
    /// rustc: the process id of rustc itself; link: of the rustc that ran it.
    pub pid: i32,
    /// When it started, in milliseconds since the Unix epoch.
    pub start_ms: u64,
    pub wall_ms: u64,
    pub cpu_ms: u64,
}

/// Runs as a probe when started under a probe's name; otherwise `None`.
pub fn run_if_probe() -> Option<i32> {
    let argv0 = std::env::args_os().next()?;
    let name = Path::new(&argv0).file_name()?.to_str()?.to_string();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let (program, args, kind) = match name.as_str() {
        RUSTC_PROBE => (args.first()?.clone(), args[1..].to_vec(), "rustc"),
        LINKER_PROBE => ("cc".into(), args, "link"),
        _ => return None,
    };
    let log = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(LOG)));
    Some(run(&program, &args, kind, log))
}

fn run(program: &std::ffi::OsStr, args: &[std::ffi::OsString], kind: &str, log: Option<PathBuf>) -> i32 {
    let text: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let krate = text.iter().position(|a| a == "--crate-name").and_then(|i| text.get(i + 1)).cloned();
    let source = text.iter().find(|a| a.ends_with(".rs")).cloned().unwrap_or_default();
    let start_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let started = Instant::now();
    let child = match std::process::Command::new(program).args(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("{kind} probe: cannot start {}: {e}", program.to_string_lossy());
            return 127;
        }
    };
    let child_pid = child.id() as libc::pid_t;
    let (status, cpu) = match crate::engine::process::wait_with_cpu(child_pid) {
        Ok(done) => done,
        Err(e) => {
            eprintln!("{kind} probe: lost {}: {e}", program.to_string_lossy());
            return 127;
        }
    };
    // rustc asked for its version or target information is not a build.
    if kind == "link" || krate.is_some() {
        let timed = Timed {
            kind: kind.to_string(),
            krate: krate.unwrap_or_default(),
            source,
            pid: if kind == "link" { rustix::process::Pid::as_raw(rustix::process::getppid()) } else { child_pid },
            start_ms,
            wall_ms: started.elapsed().as_millis() as u64,
            cpu_ms: cpu.as_millis() as u64,
        };
        if let (Some(log), Ok(line)) = (log, serde_json::to_string(&timed)) {
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
            if let Err(e) = appended {
                eprintln!("{kind} probe: cannot write {}: {e}", log.display());
            }
        }
    }
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Installs both probes in `dir` (copies of this program) and empties the log.
pub fn install(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = std::env::current_exe().context("cannot find this program to copy it as a probe")?;
    for name in [RUSTC_PROBE, LINKER_PROBE] {
        let dest = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::copy(&exe, &tmp).with_context(|| format!("cannot copy {} to {}", exe.display(), tmp.display()))?;
        std::fs::rename(&tmp, &dest).with_context(|| format!("cannot write {}", dest.display()))?;
    }
    let _ = std::fs::remove_file(dir.join(LOG));
    Ok(())
}

/// Everything the probes in `dir` logged, and a mark to read from later.
pub struct Log {
    path: PathBuf,
}

impl Log {
    pub fn in_dir(dir: &Path) -> Log {
        Log { path: dir.join(LOG) }
    }

    /// How far the log goes now.
    pub fn mark(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// The entries written after `mark`.
    pub fn since(&self, mark: u64) -> Vec<Timed> {
        let Ok(bytes) = std::fs::read(&self.path) else { return Vec::new() };
        let tail = bytes.get(mark as usize..).unwrap_or_default();
        String::from_utf8_lossy(tail).lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }
}

/// Compile and link time of the builds in `entries`, split: rustc's own
/// work (link excluded) and the linker's.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuildSplit {
    pub compile_wall: Duration,
    pub link_wall: Duration,
    pub compile_cpu: Duration,
    pub link_cpu: Duration,
}

impl BuildSplit {
    /// Over the rustc runs that `keep` selects, and the links they ran.
    pub fn of(entries: &[Timed], keep: impl Fn(&Timed) -> bool) -> BuildSplit {
        let mut split = BuildSplit::default();
        for rustc in entries.iter().filter(|e| e.kind == "rustc" && keep(e)) {
            let links: Vec<&Timed> = entries.iter().filter(|e| e.kind == "link" && e.pid == rustc.pid).collect();
            let link_wall: u64 = links.iter().map(|l| l.wall_ms).sum();
            let link_cpu: u64 = links.iter().map(|l| l.cpu_ms).sum();
            split.link_wall += Duration::from_millis(link_wall);
            split.link_cpu += Duration::from_millis(link_cpu);
            split.compile_wall += Duration::from_millis(rustc.wall_ms.saturating_sub(link_wall));
            split.compile_cpu += Duration::from_millis(rustc.cpu_ms.saturating_sub(link_cpu));
        }
        split
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, pid: i32, wall_ms: u64, cpu_ms: u64) -> Timed {
        Timed { kind: kind.into(), krate: "hidden".into(), source: String::new(), pid, start_ms: 0, wall_ms, cpu_ms }
    }

    /// rustc's own times include the linker it ran: the split takes each
    /// link out of the rustc that ran it, and only of that one.
    #[test]
    fn a_link_is_counted_once_and_taken_out_of_its_own_rustc() {
        let entries = vec![entry("rustc", 10, 500, 450), entry("link", 10, 100, 80), entry("rustc", 11, 200, 190)];
        let split = BuildSplit::of(&entries, |t| t.pid == 10);
        assert_eq!(split.compile_wall, Duration::from_millis(400));
        assert_eq!(split.link_wall, Duration::from_millis(100));
        assert_eq!(split.compile_cpu, Duration::from_millis(370));
        assert_eq!(split.link_cpu, Duration::from_millis(80));
        let all = BuildSplit::of(&entries, |_| true);
        assert_eq!(all.compile_wall + all.link_wall, Duration::from_millis(700));
    }

    /// The log is read from a mark on, and a torn or foreign line is skipped.
    #[test]
    fn the_log_is_read_from_a_mark_and_skips_what_is_not_an_entry() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::in_dir(dir.path());
        assert_eq!(log.mark(), 0);
        assert!(log.since(0).is_empty());
        let line = |pid| serde_json::to_string(&entry("rustc", pid, 1, 1)).unwrap() + "\n";
        std::fs::write(dir.path().join(LOG), line(1)).unwrap();
        let mark = log.mark();
        let mut more = std::fs::OpenOptions::new().append(true).open(dir.path().join(LOG)).unwrap();
        more.write_all(format!("not json\n{}", line(2)).as_bytes()).unwrap();
        let read: Vec<i32> = log.since(mark).iter().map(|t| t.pid).collect();
        assert_eq!(read, vec![2]);
    }
}
