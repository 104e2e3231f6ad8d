//! `xtask supervise` (internal): the process that stands between the runner
//! and one hidden test process.
//!
//! The runner starts one supervisor per test. The supervisor makes itself a
//! child subreaper, so every process the test leaves behind (one that
//! called `setsid`, or was double-forked to get away from its parent) is
//! adopted by it rather than by init. It prepares the test's confinement
//! (`sandbox.rs`: its cgroup and Landlock rules), starts the test inside it,
//! and when the test ends, reaches its timeout, or the runner closes the
//! supervisor's stdin (a run called off), it kills the test's process group,
//! everything in its cgroup, and every process it adopted, until none is
//! left. Then it ends the way the test ended: the same exit code, or the
//! same signal (`SIGKILL` at a timeout), so the runner judges the test as if
//! it had started it itself.
//!
//! Before it kills a test at its timeout, and whenever the test asks through
//! the socket named by `THREADWORK_STACKS_FD` (one byte; it answers with
//! one byte when done), it writes the stacks of the test's threads to
//! `--stacks-file` (stacks.rs).
//!
//! It never writes to stdout or stderr, which are the test's, except to say
//! why it could not start the test (exit status [`CANNOT_START`]).

use crate::engine::sandbox::Sandbox;
use anyhow::{Context, Result};
use rustix::process;
use std::ffi::OsString;
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The supervisor's exit status when it could not start the test.
pub const CANNOT_START: i32 = 125;

/// How long the supervisor keeps killing what a test left before giving up.
const CLEAN_UP_FOR: Duration = Duration::from_secs(5);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kill the test (and all it started) after this many milliseconds.
    #[arg(long)]
    pub timeout_ms: u64,
    /// The machine's layers, as the runner probed them (JSON).
    #[arg(long)]
    pub sandbox: String,
    /// Where to write the test's stacks when it times out or asks for them
    /// (see stacks.rs); without it, no stacks are taken.
    #[arg(long)]
    pub stacks_file: Option<std::path::PathBuf>,
    /// The test binary and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<OsString>,
}

/// How the test ended.
enum Ended {
    Exited(ExitStatus),
    TimedOut,
    CalledOff,
}

pub fn run(args: Args) -> ! {
    match supervise(args) {
        Ok(Ended::Exited(status)) => match (status.code(), status.signal()) {
            (Some(code), _) => std::process::exit(code),
            (_, Some(signal)) => die_by(signal),
            _ => std::process::exit(CANNOT_START),
        },
        Ok(Ended::TimedOut | Ended::CalledOff) => die_by(libc::SIGKILL),
        Err(e) => {
            eprintln!("threadwork supervisor: cannot run the test: {e:#}");
            std::process::exit(CANNOT_START);
        }
    }
}

fn supervise(args: Args) -> Result<Ended> {
    let sandbox = Sandbox::from_arg(&args.sandbox)?;
    // Any non-zero argument makes the caller a subreaper; this passes its pid.
    process::set_child_subreaper(Some(process::getpid())).context("cannot become a child subreaper")?;
    // If the supervisor dies by a signal, it leaves no core file.
    let none = process::Rlimit { current: Some(0), maximum: Some(0) };
    let _ = process::setrlimit(process::Resource::Core, none);
    let timeout = Duration::from_millis(args.timeout_ms);
    let binary = Path::new(&args.command[0]);
    let scratch = std::env::current_dir().context("no working folder")?;
    let confinement = std::sync::Arc::new(sandbox.confine(binary, &scratch)?);

    let mut command = Command::new(binary);
    command.args(&args.command[1..]).stdin(Stdio::null()).process_group(0);
    // The test asks for its stacks through its end of this socket.
    let (stacks_ours, stacks_theirs) = std::os::unix::net::UnixStream::pair().context("cannot make a socket pair")?;
    let stacks_fd = stacks_theirs.as_raw_fd();
    if args.stacks_file.is_some() {
        command.env(protocol::STACKS_FD_ENV, stacks_fd.to_string());
    }
    let entered = std::sync::Arc::clone(&confinement);
    // SAFETY: the closure runs between fork and exec and makes only plain
    // system calls (rustix's are raw syscalls: no allocation, no locks) on
    // memory prepared before the fork (see Sandbox::enter). `stacks_fd` is
    // open in the child: `stacks_theirs` is dropped only after the spawn.
    unsafe {
        command.pre_exec(move || {
            process::set_parent_process_death_signal(Some(process::Signal::KILL))?;
            let stacks = std::os::fd::BorrowedFd::borrow_raw(stacks_fd);
            rustix::io::fcntl_setfd(stacks, rustix::io::FdFlags::empty())?;
            // Where Yama restricts ptrace to ancestors, let this supervisor's
            // debugger (its child, the test's sibling) read the stacks.
            let _ = process::set_ptracer(match process::getppid() {
                Some(supervisor) => process::PTracer::ProcessID(supervisor),
                None => process::PTracer::None,
            });
            sandbox.enter(&entered, timeout)
        });
    }
    let started = Instant::now();
    let mut child = crate::engine::process::retry_while_busy(|| command.spawn())
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let pid = child.id() as libc::pid_t;
    drop(stacks_theirs);
    if let Some(file) = args.stacks_file.clone() {
        std::thread::spawn(move || answer_stacks_requests(stacks_ours, pid, &file));
    }

    let (tx, rx) = mpsc::channel();
    let exited = tx.clone();
    std::thread::spawn(move || {
        let _ = exited.send(Some(child.wait()));
    });
    // The runner calls the run off by closing our stdin.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = tx.send(None);
    });
    let ended = match rx.recv_timeout(timeout.saturating_sub(started.elapsed())) {
        Ok(Some(status)) => Ended::Exited(status.context("lost track of the test process")?),
        other => {
            if let (Err(mpsc::RecvTimeoutError::Timeout), Some(file)) = (&other, &args.stacks_file) {
                crate::engine::stacks::capture_to(pid, file);
            }
            crate::engine::process::kill_group(pid);
            // Reap the test itself before anything else may be reaped.
            while let Ok(message) = rx.recv() {
                if message.is_some() {
                    break;
                }
            }
            if matches!(other, Ok(None)) { Ended::CalledOff } else { Ended::TimedOut }
        }
    };
    crate::engine::process::kill_group(pid);
    confinement.kill_all();
    kill_adopted();
    drop(confinement);
    Ok(ended)
}

/// Takes the test's stacks each time it asks (a byte on the socket), and
/// says when they are written (a byte back), until the test is gone.
fn answer_stacks_requests(mut socket: std::os::unix::net::UnixStream, pid: libc::pid_t, file: &Path) {
    use std::io::{Read, Write};
    let mut byte = [0u8; 1];
    while let Ok(1) = socket.read(&mut byte) {
        crate::engine::stacks::capture_to(pid, file);
        if socket.write_all(&byte).is_err() {
            return;
        }
    }
}

/// Kills and reaps every child this supervisor has (what the test left and
/// the supervisor adopted), again as their own orphans are adopted in turn,
/// until there are none.
fn kill_adopted() {
    let deadline = Instant::now() + CLEAN_UP_FOR;
    loop {
        reap_all();
        let children = children();
        if children.is_empty() || Instant::now() >= deadline {
            return;
        }
        // Our own children, or gone (ESRCH).
        for pid in children.into_iter().filter_map(process::Pid::from_raw) {
            let _ = process::kill_process(pid, process::Signal::KILL);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Reaps every child that has ended, without waiting for the others.
fn reap_all() {
    while let Ok(Some(_)) = process::wait(process::WaitOptions::NOHANG) {}
}

/// This process's children, from every one of its threads (an orphan is
/// adopted by any thread of the subreaper).
fn children() -> Vec<libc::pid_t> {
    let mut pids = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return pids };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(text.split_whitespace().filter_map(|p| p.parse::<libc::pid_t>().ok()));
        }
    }
    pids
}

/// Ends this process by `signal`, as the test ended.
///
/// Stays on libc: rustix has no safe `signal`/`sigaction` (only its
/// `runtime` module's, for libc implementations), and its `Signal` takes
/// any number the test died by (real-time ones too) only through
/// `from_raw_unchecked`.
fn die_by(signal: i32) -> ! {
    // SAFETY: plain syscalls on this process.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::kill(libc::getpid(), signal);
    }
    std::process::exit(128 + signal)
}
