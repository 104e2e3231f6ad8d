//! Starting and waiting for processes: the calls the runner, the supervisor,
//! the sandbox and the benchmark's probes share, so none of them needs
//! another's module for them.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

/// How many test processes run at once when `--jobs` is not given: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The CPUs this process may keep busy: the cores, or fewer under a cgroup
/// CPU quota (a container's `--cpus`, a grading service's half a core),
/// with fractions kept. (`available_parallelism` reads the quota too, but
/// rounds it up to whole cores.)
pub fn cpu_capacity() -> f64 {
    let cores = default_jobs() as f64;
    cgroup_cpu_quota().map_or(cores, |quota| quota.min(cores))
}

/// The tightest CPU quota on this process's cgroup or any of its
/// ancestors, in cores (cgroup v2's `cpu.max`, v1's `cpu.cfs_quota_us`).
fn cgroup_cpu_quota() -> Option<f64> {
    let read = |path: std::path::PathBuf| std::fs::read_to_string(path).ok();
    let mut tightest: Option<f64> = None;
    let mut keep = |quota: f64| tightest = Some(tightest.map_or(quota, |t: f64| t.min(quota)));
    for line in read("/proc/self/cgroup".into())?.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let v2 = controllers.is_empty();
        if !v2 && !controllers.split(',').any(|c| c == "cpu") {
            continue;
        }
        let mountpoints: &[&str] =
            if v2 { &["/sys/fs/cgroup"] } else { &["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"] };
        for mount in mountpoints {
            let mut dir = std::path::Path::new(mount).join(path.trim_start_matches('/'));
            loop {
                if v2 {
                    if let Some(max) = read(dir.join("cpu.max")) {
                        let mut parts = max.split_whitespace();
                        if let (Some(Ok(quota)), Some(Ok(period))) =
                            (parts.next().map(str::parse::<f64>), parts.next().map(str::parse::<f64>))
                            && period > 0.0
                        {
                            keep(quota / period);
                        }
                    }
                } else if let (Some(quota), Some(period)) =
                    (read(dir.join("cpu.cfs_quota_us")), read(dir.join("cpu.cfs_period_us")))
                    && let (Ok(quota), Ok(period)) = (quota.trim().parse::<f64>(), period.trim().parse::<f64>())
                    && quota > 0.0
                    && period > 0.0
                {
                    keep(quota / period);
                }
                if dir.as_os_str() == *mount || !dir.pop() || !dir.starts_with(mount) {
                    break;
                }
            }
        }
    }
    tightest
}

/// A path that starts this very program again. `/proc/self/exe` still runs
/// it after cargo has replaced the file on disk (selftest's own tests rebuild
/// xtask with dev-dependency features while selftest runs), where the path
/// `current_exe` gives would then name a deleted file.
pub fn this_program() -> Option<std::path::PathBuf> {
    let proc_link = std::path::Path::new("/proc/self/exe");
    if proc_link.exists() { Some(proc_link.to_path_buf()) } else { std::env::current_exe().ok() }
}

/// Starts a test binary (`spawn`, `output`), again while it fails with
/// "text file busy". The binary was just written (its private copy) and
/// closed, but a process forked at that moment by another thread still holds
/// the written file open until it calls exec, and exec of the binary fails
/// until then. It lasts microseconds, so a few short retries are plenty.
pub fn retry_while_busy<T>(mut start: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    let mut tries = 0;
    loop {
        match start() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// Kills the process group `pid` (a child started with `process_group(0)`);
/// a group already gone gives ESRCH, which is ignored.
pub fn kill_group(pid: libc::pid_t) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Waits for the child process `pid` to end, and returns how it ended and
/// the CPU time (user and system) of it and of every process it waited for.
/// The caller owns the child: nothing else may wait for it.
///
/// Stays on libc: rustix's `waitpid` calls wait4 without the resource usage
/// this needs, and has no wrapper that returns it.
pub fn wait_with_cpu(pid: libc::pid_t) -> std::io::Result<(ExitStatus, Duration)> {
    loop {
        let mut status = 0;
        // SAFETY: wait4 only writes into the two values we hand it.
        let (reaped, usage) = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            (libc::wait4(pid, &mut status, 0, &mut usage), usage)
        };
        if reaped == pid {
            return Ok((ExitStatus::from_raw(status), cpu_of(&usage)));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// User plus system CPU time of a resource-usage record.
pub fn cpu_of(usage: &libc::rusage) -> Duration {
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
