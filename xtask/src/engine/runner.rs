//! Running hidden tests: one process per test, each with a timeout.
//!
//! A process per test (as nextest does) means a hang becomes a `timed_out`
//! verdict for that test alone, a crash costs one test and not the run, and
//! the learner's threads left blocked by one test cannot disturb the next.
//!
//! A test counts as passed only when its result file says so with this
//! run's nonce. The harness (tests/testkit) writes that file after the test
//! body returns; a process that exits 0 early, prints a fake libtest summary,
//! or aborts leaves no such file and is never a pass.

use crate::engine::capture::BoundedOutput;
use crate::engine::category::Category;
use crate::engine::course::{Course, Exercise};
use crate::engine::learner_code::LearnerCode;
use crate::engine::outcome::{PanicRecord, TestOutcome, TestStatus};
use crate::engine::process::{kill_group, retry_while_busy, this_program, wait_with_cpu};
use anyhow::{Context, Result, bail};
use protocol::{ResultFile, Status};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How much of each output stream is kept, at the start and at the end.
pub const OUTPUT_KEEP_BYTES: usize = 32 * 1024;

/// How long to wait for a stream to close once its test process has ended
/// (a process the test left behind may hold it open).
const STREAM_GRACE: Duration = Duration::from_secs(2);

/// How long past a test's timeout the runner waits for its supervisor to
/// have killed it and ended, before it kills the supervisor itself.
const SUPERVISOR_GRACE: Duration = Duration::from_secs(10 + crate::engine::stacks::CAPTURE_LIMIT.as_secs());

/// How often a running test looks whether its run was called off.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Asks a hidden test binary for its tests, in declaration order.
pub(in crate::engine) fn list_tests(binary: &Path) -> Result<Vec<String>> {
    let mut command = Command::new(binary);
    command.arg("--list").stdin(Stdio::null());
    let output = retry_while_busy(|| command.output()).with_context(|| format!("cannot run {}", binary.display()))?;
    if !output.status.success() {
        bail!(
            "the hidden test binary {} could not list its tests: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
}

/// Whether a run of tests goes on after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Run every test: what `check` and a kill matrix need.
    Never,
    /// At the first test that does not pass, start no more and stop the ones
    /// running: enough to know that a mutant dies, for a fraction of the time
    /// its hanging tests would cost.
    AtFirstFailure,
    /// At the first test that fails with this category: enough to know that
    /// a mutant dies of the mistake it stands for.
    AtFirstFailureAs(Category),
}

impl Stop {
    pub fn ends_at(self, o: &TestOutcome) -> bool {
        match self {
            Stop::Never => false,
            Stop::AtFirstFailure => o.status != TestStatus::Passed,
            Stop::AtFirstFailureAs(category) => o.status != TestStatus::Passed && o.category == Some(category),
        }
    }
}

/// One test binary of one exercise, ready to run: what every test process
/// of it shares.
pub(in crate::engine) struct TestBinary<'a> {
    pub course: &'a Course,
    pub ex: &'a Exercise,
    pub binary: &'a Path,
    /// Which code is the learner's, for panics and stack frames.
    pub code: &'a LearnerCode,
    /// Each test's scratch folder is `scratch_root/<test name>`.
    pub scratch_root: &'a Path,
}

/// Runs every named test in its own process, `jobs` at a time, and calls
/// `on_done` as each one ends. Returns the outcomes in the order of `names`;
/// with [`Stop::AtFirstFailure`] (or `AtFirstFailureAs`), only those of the
/// tests that reached a verdict (at least one of them failed when any is
/// missing).
pub(in crate::engine) fn run_tests(
    tests: &TestBinary,
    names: &[String],
    jobs: usize,
    stop: Stop,
    on_done: &(dyn Fn(usize, &TestOutcome) + Sync),
) -> Result<Vec<TestOutcome>> {
    let TestBinary { course, ex, binary, code, scratch_root } = *tests;
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Option<TestOutcome>>>>> = Mutex::new((0..names.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(names.len().max(1)) {
            s.spawn(|| {
                loop {
                    if cancel.load(Ordering::SeqCst) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(name) = names.get(i) else { break };
                    let timeout = course.timeout(ex, name);
                    let outcome = run_one(course, code, binary, name, timeout, &scratch_root.join(name), Some(&cancel))
                        .map(|o| {
                            o.map(|mut o| {
                                o.weight = course.weight(ex, name);
                                o
                            })
                        });
                    if let Ok(Some(o)) = &outcome {
                        if stop.ends_at(o) {
                            cancel.store(true, Ordering::SeqCst);
                        }
                        on_done(i, o);
                    }
                    results.lock().unwrap()[i] = Some(outcome);
                }
            });
        }
    });
    let mut outcomes = Vec::new();
    for result in results.into_inner().unwrap() {
        match result {
            Some(result) => outcomes.extend(result?),
            None => assert!(cancel.load(Ordering::SeqCst), "a test was neither run nor cancelled"),
        }
    }
    Ok(outcomes)
}

/// Runs one hidden test in its own process group and judges it. Returns
/// `None` when `cancel` was set while it ran (it was killed, with no verdict).
pub(in crate::engine) fn run_one(
    course: &Course,
    code: &LearnerCode,
    binary: &Path,
    name: &str,
    timeout: Duration,
    scratch: &Path,
    cancel: Option<&AtomicBool>,
) -> Result<Option<TestOutcome>> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    std::fs::create_dir_all(scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let result_path = scratch.join("result.json");
    // Beside the scratch folder, where the test cannot write.
    let stacks_path = scratch.with_file_name(format!(
        "{}.stacks",
        scratch.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&stacks_path);
    let nonce = fresh_nonce();

    // The nonce goes through a pipe, not the environment: learner code can
    // read its process's starting environment in /proc/self/environ.
    let nonce_pipe = nonce_pipe(&nonce)?;
    let nonce_fd = nonce_pipe.as_raw_fd();
    let started = Instant::now();
    let sandbox = crate::engine::sandbox::Sandbox::here();
    let supervisor = supervisor();
    let mut command = match &supervisor {
        Some(exe) => {
            let mut c = Command::new(exe);
            c.arg("supervise")
                .arg("--timeout-ms")
                .arg(timeout.as_millis().to_string())
                .arg("--sandbox")
                .arg(sandbox.to_arg())
                .arg("--stacks-file")
                .arg(&stacks_path)
                .arg("--")
                .arg(binary);
            c
        }
        None => Command::new(binary),
    };
    command
        .arg("--run")
        .arg(name)
        .current_dir(scratch)
        .env(protocol::RESULT_ENV, &result_path)
        .env(protocol::NONCE_FD_ENV, nonce_pipe.as_raw_fd().to_string())
        .env("TMPDIR", scratch)
        .env("RUST_BACKTRACE", "0")
        .stdin(if supervisor.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a kill reaches all of it.
        .process_group(0);
    // Without a supervisor (this crate's unit tests), the runner confines
    // the test itself; nothing then adopts what the test leaves behind.
    let confinement = match supervisor {
        Some(_) => None,
        None => Some(std::sync::Arc::new(sandbox.confine(binary, scratch)?)),
    };
    let entered = confinement.clone();
    // SAFETY: the closure runs in the child between fork and exec and makes
    // only async-signal-safe system calls (rustix's are raw syscalls),
    // allocating nothing. If this runner dies (a grader killed mid-batch),
    // the supervisor and its test die with it instead of running on unowned.
    // `nonce_fd` is open in the child: `nonce_pipe` is dropped after the spawn.
    unsafe {
        command.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            // The nonce pipe stays open across exec (and the supervisor's).
            let nonce = std::os::fd::BorrowedFd::borrow_raw(nonce_fd);
            rustix::io::fcntl_setfd(nonce, rustix::io::FdFlags::empty())?;
            match &entered {
                Some(confinement) => sandbox.enter(confinement, timeout),
                None => Ok(()),
            }
        });
    }
    let mut child = retry_while_busy(|| command.spawn()).with_context(|| match &supervisor {
        Some(exe) => format!("cannot start the supervisor {} of {}", exe.display(), binary.display()),
        None => format!("cannot start {}", binary.display()),
    })?;
    let pid = child.id() as libc::pid_t;
    drop(nonce_pipe);
    // Closing the supervisor's stdin calls the test off.
    let mut call_off = child.stdin.take();
    let stdout = read_in_background(child.stdout.take().expect("piped"));
    let stderr = read_in_background(child.stderr.take().expect("piped"));

    let (exit_tx, exit_rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = exit_tx.send(wait_with_cpu(child.id() as libc::pid_t));
    });
    // The supervisor kills the test at its timeout; this is for a
    // supervisor that did not.
    let backstop = started + timeout + SUPERVISOR_GRACE;
    let mut called_off = false;
    let (exit, backstopped) = loop {
        // Wake now and then to see whether the run was called off.
        let slice = backstop.saturating_duration_since(Instant::now()).min(CANCEL_POLL);
        match exit_rx.recv_timeout(slice) {
            Ok(status) => break (status.context("lost track of a test process")?, false),
            Err(mpsc::RecvTimeoutError::Timeout) if !called_off && cancel.is_some_and(|c| c.load(Ordering::SeqCst)) => {
                called_off = true;
                if call_off.take().is_none() {
                    kill_group(pid);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < backstop => continue,
            Err(_) => {
                kill_group(pid);
                break (
                    exit_rx.recv().context("lost track of a test process")?.context("lost track of a test process")?,
                    true,
                );
            }
        }
    };
    let (exit, cpu) = exit;
    let duration = started.elapsed();
    let _ = waiter.join();
    drop(call_off);
    // Whatever the test started and left running goes too (the supervisor
    // has done it already; this is for the unsupervised case).
    kill_group(pid);
    if let Some(confinement) = &confinement {
        confinement.kill_all();
    }
    if called_off {
        return Ok(None);
    }
    let timed_out = backstopped || (exit.signal() == Some(libc::SIGKILL) && duration >= timeout);
    let stdout = stdout.recv_timeout(STREAM_GRACE).unwrap_or_default();
    let stderr = stderr.recv_timeout(STREAM_GRACE).unwrap_or_default();

    let report = std::fs::read_to_string(&result_path).ok();
    let ended = Ended { exit, timed_out, timeout, duration, stderr: &stderr };
    let mut outcome = judge(course, code, name, &nonce, report.as_deref(), &ended);
    outcome.output_bytes = stdout.total_bytes() + stderr.total_bytes();
    outcome.cpu = cpu;
    // A test's words may quote a place by its full path (an assertion's
    // location inside a property's reason): the learner reads it from the root.
    outcome.message = course.relativize(&outcome.message);
    if outcome.status != TestStatus::Passed
        && let Ok(stacks) = std::fs::read_to_string(&stacks_path)
        && let Some(described) = crate::engine::stacks::describe(&stacks, |p| course.relativize(p), |p| code.holds(p))
            .for_message(outcome.status == TestStatus::TimedOut)
    {
        outcome.message = format!("{}\n\n{described}", outcome.message.trim_end());
    }
    Ok(Some(outcome))
}

/// The program that supervises each test: this one (`xtask supervise`).
/// This crate's unit tests are another program, and run tests unsupervised.
fn supervisor() -> Option<std::path::PathBuf> {
    if cfg!(test) { None } else { this_program() }
}

fn read_in_background(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<BoundedOutput> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(BoundedOutput::read_all(OUTPUT_KEEP_BYTES, stream));
    });
    rx
}

/// A pipe holding `nonce`, its writing end already closed: the read end.
fn nonce_pipe(nonce: &str) -> Result<std::os::fd::OwnedFd> {
    use std::io::Write;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(std::io::Error::from)
        .context("cannot make a pipe for the nonce")?;
    std::fs::File::from(write).write_all(nonce.as_bytes()).context("cannot write the nonce")?;
    Ok(read)
}

fn fresh_nonce() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_err() {
        let seed = Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id());
        bytes = seed.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a test process ended, as the runner saw it.
struct Ended<'a> {
    exit: ExitStatus,
    /// Killed at its timeout.
    timed_out: bool,
    timeout: Duration,
    duration: Duration,
    stderr: &'a BoundedOutput,
}

/// The verdict on one test: from the result file the harness wrote (when it
/// carries this run's nonce), else from how the process ended.
fn judge(
    course: &Course,
    code: &LearnerCode,
    name: &str,
    nonce: &str,
    report: Option<&str>,
    ended: &Ended,
) -> TestOutcome {
    let Ended { exit, timed_out, timeout, duration, stderr } = *ended;
    let parsed = report
        .and_then(|r| serde_json::from_str::<ResultFile>(r).ok())
        .filter(|r| r.format_version == protocol::FORMAT_VERSION && r.nonce == nonce && r.test == name);
    let learner_panics: Vec<PanicRecord> = parsed
        .as_ref()
        .map(|r| r.panics.iter().filter(|p| code.raised_panic(&p.location)).cloned().collect())
        .unwrap_or_default();
    let learner_panics: Vec<PanicRecord> =
        learner_panics.into_iter().map(|p| PanicRecord { location: course.relativize(&p.location), ..p }).collect();
    let mut outcome = TestOutcome {
        name: name.to_string(),
        status: TestStatus::Crashed,
        message: String::new(),
        location: None,
        category: None,
        duration,
        cpu: Duration::ZERO,
        learner_panics,
        weight: 1.0,
        output_bytes: 0,
        stderr_tail: String::new(),
    };
    match parsed {
        Some(r) if r.status == Status::Passed && !timed_out => {
            outcome.status = TestStatus::Passed;
        }
        Some(r) if r.status == Status::Failed && !timed_out => {
            outcome.status = TestStatus::Failed;
            // The root cause leads: a `todo!()` anywhere in the learner's code
            // (the test may only have seen its effect), or the learner's panic
            // that a test re-raised from another thread (no location of its own).
            let root = outcome
                .learner_panics
                .iter()
                .find(|p| is_todo(&p.message))
                .or_else(|| outcome.learner_panics.iter().find(|p| r.location.is_empty() && p.message == r.message))
                .cloned();
            if let Some(p) = root {
                outcome.message = explain_failure(code, &p.message, &p.location, &p.location);
                outcome.location = Some(p.location);
                outcome.category = Some(Category::Panic);
                return outcome;
            }
            // A panic in the learner's own code is a panic whatever the test
            // was looking for; otherwise the test's own word, if it gave one.
            outcome.category = Some(if code.raised_panic(&r.location) {
                Category::Panic
            } else {
                r.category.unwrap_or(Category::WrongResult)
            });
            let location = course.relativize(&r.location);
            outcome.message = explain_failure(code, &r.message, &r.location, &location);
            if !code.raised_panic(&r.location)
                && let Some(p) = outcome.learner_panics.first()
            {
                outcome.message.push_str(&format!(
                    "\n(your code panicked first, on thread '{}' at {}: {})",
                    p.thread, p.location, p.message
                ));
            }
            outcome.location = (!location.is_empty()).then_some(location);
        }
        _ if timed_out => {
            outcome.status = TestStatus::TimedOut;
            outcome.category = Some(Category::Timeout);
            outcome.message = format!(
                "did not finish within {} s and was stopped. Something waits forever or never ends: \
                 a deadlock, a lost wakeup, a thread that is never told to stop, or an endless loop.",
                timeout.as_secs_f64()
            );
            outcome.stderr_tail = course.relativize(&stderr.tail_text(2000));
        }
        _ => {
            outcome.status = TestStatus::Crashed;
            outcome.category = Some(Category::Panic);
            let tail = stderr.tail_text(4000);
            outcome.message = explain_crash(exit, &tail, report.is_some());
            outcome.stderr_tail = course.relativize(&stderr.tail_text(2000));
        }
    }
    outcome
}

fn explain_failure(code: &LearnerCode, message: &str, raw_location: &str, location: &str) -> String {
    if !code.raised_panic(raw_location) {
        return message.to_string();
    }
    if is_todo(message) {
        return format!(
            "reached `todo!()` at {location}: this part of the exercise is still a stub. \
             Replace the todo!() with your code."
        );
    }
    format!("your code panicked at {location}: {message}")
}

/// The message of `todo!()` (and `unimplemented!()`).
fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented") || message.starts_with("not implemented")
}

fn explain_crash(exit: ExitStatus, stderr_tail: &str, forged_report: bool) -> String {
    let mut text = match (exit.code(), exit.signal()) {
        (Some(code), _) => format!(
            "the test process exited with status {code} before the test finished. Something called \
             std::process::exit, which ends every thread at once; a test passes only when its body returns."
        ),
        (_, Some(libc::SIGABRT)) if stderr_tail.contains("has overflowed its stack") => {
            "a thread overflowed its stack: look for recursion that never ends.".to_string()
        }
        (_, Some(libc::SIGABRT)) => {
            "the test process aborted (std::process::abort, or a panic while already panicking).".to_string()
        }
        (_, Some(sig @ (libc::SIGSEGV | libc::SIGBUS))) => format!(
            "the test process crashed with a memory error (signal {sig}): unsafe code touched memory \
             it does not own, or a thread used data that was already freed."
        ),
        (_, Some(sig)) => format!("the test process was killed by signal {sig} before the test finished."),
        (None, None) => "the test process ended without reporting an outcome.".to_string(),
    };
    if forged_report {
        text.push_str(" (Its result file was not written by the harness for this run.)");
    }
    text
}
