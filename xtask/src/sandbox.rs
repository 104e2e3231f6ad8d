//! The layers around every hidden test process: what learner code, run by
//! `check`, `verify` or `grade`, may not do to the machine or to others.
//!
//! Each layer is either on or off on this machine, and says why when off;
//! `cargo xtask doctor` prints them and `grade` records them in
//! `report.json` (`run.sandbox`). Nothing here needs privileges: a layer the
//! machine cannot give is simply off, and grading goes on without it.
//!
//! Set in the child between fork and exec ([`Sandbox::enter`]):
//! - resource limits (`setrlimit`): no core dumps, a cap on file size, open
//!   files, address space and CPU time;
//! - no network: a fresh network namespace with nothing in it, where the
//!   kernel lets this user make one (today: root).
//!
//! Set by the runner around it (`runner.rs`): a process per test, its own
//! process group killed at the timeout and after it ends, a parent-death
//! signal, and output kept within a bound.

use std::sync::OnceLock;
use std::time::Duration;

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
/// the process group; this catches a process that escaped it.
pub const CPU_GRACE_SECS: u64 = 10;

/// One protection layer, as this machine gives it.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The name `report.json` and `doctor` use.
    pub name: &'static str,
    pub on: bool,
    /// What it does when on, or why it is off.
    pub note: String,
}

/// What this machine gives, probed once per process.
#[derive(Debug, Clone)]
pub struct Sandbox {
    cores: u64,
    network_namespace: bool,
    network_note: String,
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
        vec![
            on("process_per_test", "each hidden test runs in its own process, never in the runner's"),
            on("timeout_kills_process_group", "at its timeout a test's whole process group is killed"),
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
            Layer { name: "no_network", on: self.network_namespace, note: self.network_note.clone() },
            Layer {
                name: "process_count_limit",
                on: false,
                note: "not yet: a fork bomb is stopped only by the timeout's group kill".to_string(),
            },
            Layer {
                name: "files_confined",
                on: false,
                note: "not yet: a test can read and write wherever the grader's user can".to_string(),
            },
        ]
    }

    /// The layers as `report.json`'s `run.sandbox`: name to on/off.
    pub fn report(&self) -> serde_json::Map<String, serde_json::Value> {
        self.layers().into_iter().map(|l| (l.name.to_string(), l.on.into())).collect()
    }

    /// Called in the child between fork and exec: only async-signal-safe
    /// system calls, no allocation.
    ///
    /// # Safety
    /// Only from a `pre_exec` hook.
    pub unsafe fn enter(&self, timeout: Duration) -> std::io::Result<()> {
        let cpu = (timeout.as_secs() + 1) * self.cores + CPU_GRACE_SECS;
        // SAFETY: setrlimit and unshare are plain system calls.
        unsafe {
            limit(libc::RLIMIT_CORE, 0)?;
            limit(libc::RLIMIT_FSIZE, FILE_SIZE_LIMIT)?;
            limit(libc::RLIMIT_NOFILE, OPEN_FILES_LIMIT)?;
            limit(libc::RLIMIT_AS, ADDRESS_SPACE_LIMIT)?;
            limit(libc::RLIMIT_CPU, cpu)?;
            if self.network_namespace {
                unshare_network()?;
            }
        }
        Ok(())
    }
}

/// Lowers a limit (soft and hard) to `value`, never raising one the runner
/// was already given.
unsafe fn limit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let mut current = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(resource, &mut current) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let value = value.min(current.rlim_max);
    let new = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(resource, &new) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A new network namespace: only a loopback device, and it is down. It
/// takes CAP_SYS_ADMIN (root). Without it, a user namespace could give one,
/// but its uid map must be written before the test can create a file; that
/// is the next step (issue 6), and until then the layer is off there.
unsafe fn unshare_network() -> std::io::Result<()> {
    // SAFETY: a plain system call.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0 {
        return Ok(());
    }
    Err(std::io::Error::last_os_error())
}

/// Starts a short child the way tests are started and sees whether it can
/// leave the network.
fn probe() -> Sandbox {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let exe = std::env::current_exe().ok();
    let result = exe.ok_or_else(|| std::io::Error::other("cannot find this program")).and_then(|exe| {
        use std::os::unix::process::CommandExt;
        let mut command = std::process::Command::new(exe);
        command
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // SAFETY: the hook makes plain system calls only.
        unsafe {
            command.pre_exec(|| unshare_network());
        }
        command.status()
    });
    match result {
        Ok(status) if status.success() => Sandbox {
            cores,
            network_namespace: true,
            network_note: "each test runs in a network namespace of its own, with no way out".to_string(),
        },
        Ok(status) => Sandbox {
            cores,
            network_namespace: false,
            network_note: format!("the probe in a new network namespace ended with {status}"),
        },
        Err(e) => Sandbox {
            cores,
            network_namespace: false,
            network_note: format!(
                "this user cannot make a network namespace here ({e}): it takes root for now, so tests \
                 can reach the network"
            ),
        },
    }
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
}
