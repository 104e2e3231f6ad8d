//! The layers around every hidden test process: what learner code, run by
//! `check`, `verify` or `grade`, may not do to the machine or to others.
//!
//! Each layer is either on or off on this machine, and says why when off;
//! `cargo xtask doctor` prints them and `grade` records them in
//! `report.json` (`run.sandbox`). A layer the machine cannot give is simply
//! off, and grading goes on without it. `THREADWORK_SANDBOX_OFF` (a comma
//! list of `netns`, `landlock`, `cgroup`, `nproc`) switches layers off, so
//! the fallbacks can be tested on a machine that has everything.
//!
//! A test runs under a supervisor (`supervise.rs`): a short-lived copy of
//! this program that adopts every orphan the test leaves (a child
//! subreaper) and kills the whole tree when the test ends. Between fork and
//! exec of the test ([`Sandbox::enter`]):
//! - resource limits (`setrlimit`): no core dumps, a cap on file size, open
//!   files, address space and CPU time, and for an ordinary user on
//!   processes (`RLIMIT_NPROC`, which does not bind root);
//! - a cgroup `pids` limit of its own (binds root too), where this user
//!   may make one;
//! - no network: a fresh network namespace (root), else Landlock's TCP rules;
//! - Landlock: reads only in system folders and of its own binary, writes
//!   only in its scratch folder, and no signals to processes outside.

use anyhow::{Context, Result};
use rustix::fs::{Mode, OFlags};
use rustix::process::{Pid, Resource, Rlimit, Signal};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Largest file a test process may write (`RLIMIT_FSIZE`): beyond it the
/// write fails with `SIGXFSZ`, so a test cannot fill the disk.
pub const FILE_SIZE_LIMIT: u64 = 64 << 20;
/// Open files per test process (`RLIMIT_NOFILE`).
pub const OPEN_FILES_LIMIT: u64 = 1024;
/// Address space per test process (`RLIMIT_AS`): a memory bomb fails to
/// allocate (Rust then aborts) instead of pushing the machine into swap or
/// the OOM killer. Generous, because every thread reserves its stack and
/// glibc reserves an arena per core.
pub const ADDRESS_SPACE_LIMIT: u64 = 4 << 30;
/// CPU seconds beyond what the test could use before its wall-clock timeout
/// on every core (`RLIMIT_CPU`), so it never fires first. The timeout kills
/// the process tree; this catches a process that escaped it.
pub const CPU_GRACE_SECS: u64 = 10;
/// Processes and threads one test may have at once (the cgroup's
/// `pids.max`). The stress tests use a few dozen threads.
pub const TASK_LIMIT: u64 = 1024;
/// With `RLIMIT_NPROC`, which counts every process and thread of the user
/// (the grader's own, cargo's, and those of the tests running beside),
/// this many on top of what the user ran when the runner started.
pub const USER_TASK_MARGIN: u64 = 4 * TASK_LIMIT;
/// The cgroup v1 `pids` hierarchy, where this machine mounts it.
const PIDS_HIERARCHY: &str = "/sys/fs/cgroup/pids";
/// System folders a confined test may read (and run programs from).
const SYSTEM_DIRS: &[&str] = &["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev"];

/// One protection layer, as this machine gives it.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The name `report.json` and `doctor` use.
    pub name: &'static str,
    pub on: bool,
    /// What it does when on, or why it is off.
    pub note: String,
}

/// What this machine gives, probed once per runner and handed to each
/// supervisor on its command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sandbox {
    cores: u64,
    network_namespace: bool,
    network_note: String,
    /// 0: no Landlock here.
    landlock_abi: i32,
    landlock_note: String,
    /// The folder under which each test gets a `pids` cgroup of its own.
    pids_cgroup: Option<PathBuf>,
    /// `RLIMIT_NPROC` for an ordinary user without a cgroup.
    task_rlimit: Option<u64>,
    tasks_note: String,
}

impl Sandbox {
    /// The layers available here (probed on first use).
    pub fn here() -> &'static Sandbox {
        static PROBED: OnceLock<Sandbox> = OnceLock::new();
        PROBED.get_or_init(probe)
    }

    /// Every layer, on or off, in a fixed order.
    pub fn layers(&self) -> Vec<Layer> {
        let on = |name, note: &str| Layer { name, on: true, note: note.to_string() };
        let layer = |name, on, note: String| Layer { name, on, note };
        let landlock = |abi: i32| self.landlock_abi >= abi;
        vec![
            on("process_per_test", "each hidden test runs in its own process, never in the runner's"),
            on(
                "timeout_kills_process_tree",
                "at its timeout, and whenever it ends, everything a test started is killed, even what called \
                 setsid or double-forked: its supervisor adopts orphans (a child subreaper) and kills them",
            ),
            on("parent_death_kills_test", "a test process dies with the runner that started it"),
            on("output_bounded", "the head and tail of each stream are kept (32 KiB each), the rest counted"),
            on("submission_manifests_ignored", "only src/**/*.rs is taken; the course's manifests build it"),
            on("core_dumps_off", "RLIMIT_CORE = 0"),
            on("file_size_limit", &format!("RLIMIT_FSIZE = {} MiB", FILE_SIZE_LIMIT >> 20)),
            on("open_files_limit", &format!("RLIMIT_NOFILE = {OPEN_FILES_LIMIT}")),
            on("address_space_limit", &format!("RLIMIT_AS = {} GiB", ADDRESS_SPACE_LIMIT >> 30)),
            on(
                "cpu_time_limit",
                &format!("RLIMIT_CPU = the test's timeout x {} cores + {CPU_GRACE_SECS} s", self.cores),
            ),
            layer(
                "process_count_limit",
                self.pids_cgroup.is_some() || self.task_rlimit.is_some(),
                self.tasks_note.clone(),
            ),
            layer(
                "no_network",
                self.network_namespace || landlock(4),
                if self.network_namespace {
                    self.network_note.clone()
                } else if landlock(4) {
                    "Landlock denies every TCP connect and bind (UDP is not covered); no network namespace \
                     here: "
                        .to_string()
                        + &self.network_note
                } else {
                    format!("{}; and no Landlock network rules (ABI 4, Linux 6.7) here", self.network_note)
                },
            ),
            layer(
                "files_confined",
                landlock(1),
                if landlock(1) {
                    format!(
                        "Landlock (ABI {}): a test reads only system folders and its own binary, and writes \
                         only in its scratch folder",
                        self.landlock_abi
                    )
                } else {
                    format!("{}: a test reads and writes wherever the grader's user can", self.landlock_note)
                },
            ),
            layer(
                "signals_scoped",
                landlock(6),
                if landlock(6) {
                    "Landlock scoping: a test cannot signal the grader, another test, or any process outside \
                     its own tree"
                        .to_string()
                } else {
                    "needs Landlock ABI 6 (Linux 6.12): a test can signal any process of the grader's user \
                     (for root: any process)"
                        .to_string()
                },
            ),
        ]
    }

    /// The layers as `report.json`'s `run.sandbox`: name to on/off.
    pub fn report(&self) -> serde_json::Map<String, serde_json::Value> {
        self.layers().into_iter().map(|l| (l.name.to_string(), l.on.into())).collect()
    }

    /// What a supervisor needs to know of this machine, as one argument.
    pub fn to_arg(&self) -> String {
        serde_json::to_string(self).expect("a sandbox serializes")
    }

    pub fn from_arg(arg: &str) -> Result<Sandbox> {
        serde_json::from_str(arg).context("the supervisor was given a sandbox it cannot read")
    }

    /// Prepares, before the fork, what [`Sandbox::enter`] applies to one test:
    /// its cgroup, and its Landlock rules (read `binary`, write `scratch`).
    pub fn confine(&self, binary: &Path, scratch: &Path) -> Result<Confinement> {
        let cgroup = self.pids_cgroup.as_deref().map(TestCgroup::create).transpose()?;
        let ruleset =
            (self.landlock_abi > 0).then(|| landlock_ruleset(self.landlock_abi, binary, scratch)).transpose()?;
        Ok(Confinement { cgroup, ruleset })
    }

    /// Called in the child between fork and exec: only async-signal-safe
    /// system calls, no allocation.
    ///
    /// # Safety
    /// Only from a `pre_exec` hook.
    pub unsafe fn enter(&self, confinement: &Confinement, timeout: Duration) -> std::io::Result<()> {
        // rustix's calls here are raw system calls: no allocation, no locks.
        let cpu = (timeout.as_secs() + 1) * self.cores + CPU_GRACE_SECS;
        limit(Resource::Core, 0)?;
        limit(Resource::Fsize, FILE_SIZE_LIMIT)?;
        limit(Resource::Nofile, OPEN_FILES_LIMIT)?;
        limit(Resource::As, ADDRESS_SPACE_LIMIT)?;
        limit(Resource::Cpu, cpu)?;
        if let Some(n) = self.task_rlimit {
            limit(Resource::Nproc, n)?;
        }
        if let Some(cgroup) = &confinement.cgroup {
            cgroup.join()?;
        }
        if self.network_namespace {
            unshare_network()?;
        }
        if let Some(ruleset) = &confinement.ruleset {
            rustix::thread::set_no_new_privs(true)?;
            // Stays on libc: rustix has no Landlock calls, and the landlock
            // crate's `restrict_self` does more than this one system call.
            // SAFETY: a plain system call on a descriptor made before the fork.
            if unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// What one test's process enters: made before the fork, dropped (and its
/// cgroup emptied and removed) after the test and all it started are gone.
pub struct Confinement {
    cgroup: Option<TestCgroup>,
    ruleset: Option<OwnedFd>,
}

impl Confinement {
    /// Kills every process left in the test's cgroup, if it has one.
    pub fn kill_all(&self) {
        if let Some(cgroup) = &self.cgroup {
            cgroup.kill_all();
        }
    }
}

/// A `pids` cgroup of one test: `pids.max` caps its processes and threads,
/// and whatever is in it after the test is killed, however it got away
/// from the test's process group.
struct TestCgroup {
    dir: PathBuf,
    /// `cgroup.procs` as a C string, for the child to open before exec.
    procs: CString,
}

impl TestCgroup {
    fn create(parent: &Path) -> Result<TestCgroup> {
        // A name no other test has now: this process's id, and a number
        // past any folder an earlier process of the same id left behind.
        let mut n = 0;
        let dir = loop {
            let dir = parent.join(format!("{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(e).with_context(|| format!("cannot create the cgroup {}", dir.display())),
            }
        };
        std::fs::write(dir.join("pids.max"), TASK_LIMIT.to_string())
            .with_context(|| format!("cannot set {}/pids.max", dir.display()))?;
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes()).context("a cgroup path with NUL")?;
        Ok(TestCgroup { dir, procs })
    }

    /// Moves the calling process into the cgroup ("0" is the writer).
    /// Allocates nothing: the path is a C string made before the fork.
    fn join(&self) -> std::io::Result<()> {
        let procs = rustix::fs::open(self.procs.as_c_str(), OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
        match rustix::io::write(&procs, b"0")? {
            1 => Ok(()),
            _ => Err(std::io::ErrorKind::WriteZero.into()),
        }
    }

    /// Stops new forks (`pids.max` 0), then kills what is in it until it is
    /// empty (or a few seconds pass: it is then left for the next run).
    fn kill_all(&self) {
        let _ = std::fs::write(self.dir.join("pids.max"), "0");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let Ok(procs) = std::fs::read_to_string(self.dir.join("cgroup.procs")) else { return };
            let pids: Vec<Pid> =
                procs.lines().filter_map(|l| l.trim().parse().ok()).filter_map(Pid::from_raw).collect();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                // A process already gone gives ESRCH.
                let _ = rustix::process::kill_process(pid, Signal::KILL);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        self.kill_all();
        // Empty once its processes are reaped; the supervisor reaps them.
        for _ in 0..200 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Lowers a limit (soft and hard) to `value`, never raising one the runner
/// was already given. (`None` is `RLIM_INFINITY`; getrlimit cannot fail
/// for these resources, so rustix's returns the limit itself.)
fn limit(resource: Resource, value: u64) -> std::io::Result<()> {
    let hard = rustix::process::getrlimit(resource).maximum.unwrap_or(u64::MAX);
    let value = value.min(hard);
    rustix::process::setrlimit(resource, Rlimit { current: Some(value), maximum: Some(value) })?;
    Ok(())
}

/// A new network namespace: only a loopback device, and it is down. It
/// takes CAP_SYS_ADMIN (root); for an ordinary user, Landlock's TCP rules
/// stand in.
fn unshare_network() -> std::io::Result<()> {
    // SAFETY: rustix marks unshare unsafe for `FILES`, which splits the
    // descriptor table under other threads; a network namespace does not.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }?;
    Ok(())
}

/// The Landlock rules of one test: read and run in the system folders and
/// its own binary, anything in its scratch folder, nothing else; with ABI 4
/// no TCP, with ABI 6 no signals or abstract sockets out of its domain.
fn landlock_ruleset(abi: i32, binary: &Path, scratch: &Path) -> Result<OwnedFd> {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope,
    };
    let abi = ABI::from(abi);
    let mut ruleset = Ruleset::default().handle_access(AccessFs::from_all(abi))?;
    if abi >= ABI::V4 {
        ruleset = ruleset.handle_access(AccessNet::from_all(abi))?;
    }
    if abi >= ABI::V6 {
        ruleset = ruleset.scope(Scope::from_all(abi))?;
    }
    let mut created = ruleset.create()?;
    for dir in SYSTEM_DIRS {
        if let Ok(fd) = PathFd::new(dir) {
            created = created.add_rule(PathBeneath::new(fd, AccessFs::from_read(abi)))?;
        }
    }
    let file = |path: &Path| PathFd::new(path).with_context(|| format!("cannot open {}", path.display()));
    created = created.add_rule(PathBeneath::new(file(binary)?, AccessFs::ReadFile | AccessFs::Execute))?;
    created =
        created.add_rule(PathBeneath::new(file(Path::new("/dev/null"))?, AccessFs::ReadFile | AccessFs::WriteFile))?;
    created = created.add_rule(PathBeneath::new(file(scratch)?, AccessFs::from_all(abi)))?;
    let fd: Option<OwnedFd> = created.into();
    fd.context("Landlock made no ruleset")
}

/// Which layers `THREADWORK_SANDBOX_OFF` switches off.
fn switched_off(layer: &str) -> bool {
    std::env::var("THREADWORK_SANDBOX_OFF").is_ok_and(|v| v.split(',').any(|s| s.trim() == layer))
}

fn probe() -> Sandbox {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let (network_namespace, network_note) = probe_network();
    let (landlock_abi, landlock_note) = probe_landlock();
    let root = rustix::process::geteuid().is_root();
    let (pids_cgroup, task_rlimit, tasks_note) = match probe_cgroup() {
        Ok(dir) => {
            let note =
                format!("a cgroup of its own per test ({}), pids.max = {TASK_LIMIT}: binds root too", dir.display());
            (Some(dir), None, note)
        }
        Err(why) if !root && !switched_off("nproc") => {
            let uid = rustix::process::getuid().as_raw();
            let running = tasks_of_user(uid);
            let n = running + USER_TASK_MARGIN;
            (
                None,
                Some(n),
                format!(
                    "RLIMIT_NPROC = {n}: this user's processes and threads, all told ({running} when probed, \
                     plus {USER_TASK_MARGIN}); no cgroup: {why}"
                ),
            )
        }
        Err(why) => (
            None,
            None,
            format!(
                "no cgroup ({why}), and RLIMIT_NPROC {}: a fork bomb is stopped only by the timeout",
                if root { "does not bind root" } else { "is switched off" }
            ),
        ),
    };
    Sandbox {
        cores,
        network_namespace,
        network_note,
        landlock_abi,
        landlock_note,
        pids_cgroup,
        task_rlimit,
        tasks_note,
    }
}

/// Starts a short child the way tests are started and sees whether it can
/// leave the network.
fn probe_network() -> (bool, String) {
    if switched_off("netns") {
        return (false, "no network namespace: switched off by THREADWORK_SANDBOX_OFF".to_string());
    }
    let exe = crate::engine::process::this_program();
    let result = exe.ok_or_else(|| std::io::Error::other("cannot find this program")).and_then(|exe| {
        use std::os::unix::process::CommandExt;
        let mut command = std::process::Command::new(exe);
        command
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // SAFETY: the hook makes one raw system call, allocating nothing.
        unsafe {
            command.pre_exec(unshare_network);
        }
        command.status()
    });
    match result {
        Ok(status) if status.success() => {
            (true, "each test runs in a network namespace of its own, with no way out".to_string())
        }
        Ok(status) => (false, format!("the probe in a new network namespace ended with {status}")),
        Err(e) => (false, format!("this user cannot make a network namespace here ({e}): it takes root")),
    }
}

fn probe_landlock() -> (i32, String) {
    if switched_off("landlock") {
        return (0, "no Landlock: switched off by THREADWORK_SANDBOX_OFF".to_string());
    }
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_long = 1;
    // On libc: rustix has no Landlock calls.
    // SAFETY: asks the ABI version; no pointer is read.
    let abi = unsafe {
        libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0, LANDLOCK_CREATE_RULESET_VERSION)
    };
    if abi > 0 {
        return (abi as i32, format!("Landlock ABI {abi}"));
    }
    let e = std::io::Error::last_os_error();
    let why = match e.raw_os_error() {
        Some(libc::ENOSYS) => "this kernel has no Landlock (Linux 5.13 or later has it)".to_string(),
        Some(libc::EOPNOTSUPP) => "Landlock is built into this kernel but not enabled at boot".to_string(),
        _ => format!("no Landlock here ({e})"),
    };
    (0, why)
}

/// The folder under which each test gets a `pids` cgroup, if this user may
/// make cgroups there (cgroup v1; root, as a rule).
fn probe_cgroup() -> Result<PathBuf, String> {
    if switched_off("cgroup") {
        return Err("switched off by THREADWORK_SANDBOX_OFF".to_string());
    }
    let hierarchy = Path::new(PIDS_HIERARCHY);
    if !hierarchy.join("cgroup.procs").is_file() {
        return Err(format!("no cgroup v1 pids hierarchy at {PIDS_HIERARCHY}"));
    }
    let parent = hierarchy.join("threadwork");
    if let Err(e) = std::fs::create_dir(&parent)
        && e.kind() != std::io::ErrorKind::AlreadyExists
    {
        return Err(format!("cannot create {}: {e}", parent.display()));
    }
    sweep_stale_cgroups(&parent, |pid| Path::new("/proc").join(pid.to_string()).exists());
    let probe = parent.join(format!("probe-{}", std::process::id()));
    let made = std::fs::create_dir(&probe).and_then(|()| std::fs::write(probe.join("pids.max"), "1"));
    let _ = std::fs::remove_dir(&probe);
    made.map_err(|e| format!("cannot make a cgroup under {}: {e}", parent.display()))?;
    Ok(parent)
}

/// Removes the empty cgroups that supervisors which are gone left behind
/// (killed before they could clean up). A cgroup is named after the
/// supervisor that made it (`<pid>-<n>`, `probe-<pid>`), and one whose
/// supervisor still runs is never touched: it is empty from its creation
/// until the test joins it, and removing it then made the test's start fail
/// (a passing test graded as crashed when many ran at once).
fn sweep_stale_cgroups(parent: &Path, is_alive: impl Fn(u32) -> bool) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let owner = name.strip_prefix("probe-").unwrap_or(&name).split('-').next().and_then(|pid| pid.parse().ok());
        if owner.is_some_and(|pid| !is_alive(pid)) {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// How many processes and threads `uid` runs now.
fn tasks_of_user(uid: libc::uid_t) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    let mut tasks = 0;
    for entry in entries.flatten() {
        if !entry.file_name().as_bytes().iter().all(u8::is_ascii_digit) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let field = |name: &str| {
            status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            tasks += field("Threads:").unwrap_or(1);
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_is_named_once_and_reported() {
        let sandbox = Sandbox::here();
        let layers = sandbox.layers();
        let mut names: Vec<_> = layers.iter().map(|l| l.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), layers.len(), "a layer named twice");
        assert_eq!(sandbox.report().len(), layers.len());
        assert!(layers.iter().all(|l| !l.note.is_empty()));
    }

    /// Another supervisor's cgroup is empty until its test joins it: the
    /// sweep must leave it alone, and take only what dead supervisors left.
    #[test]
    fn the_sweep_takes_only_cgroups_of_supervisors_that_are_gone() {
        let parent = tempfile::tempdir().unwrap();
        for name in ["100-0", "100-1", "probe-100", "200-0", "probe-200", "not-a-pid"] {
            std::fs::create_dir(parent.path().join(name)).unwrap();
        }
        sweep_stale_cgroups(parent.path(), |pid| pid == 100);
        let mut left: Vec<String> = std::fs::read_dir(parent.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["100-0", "100-1", "not-a-pid", "probe-100"]);
    }
}
