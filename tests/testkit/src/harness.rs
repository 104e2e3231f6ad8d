//! The hidden tests' harness and the protocol `xtask` speaks with it.
//!
//! A hidden test binary understands three invocations:
//!
//! * `BIN --list` prints one test name per line.
//! * `BIN --run NAME` runs that one test on the main thread. When the
//!   environment names a result file (`THREADWORK_RESULT`), the outcome is
//!   written there as one JSON object, and only after the body returned or
//!   unwound. The object repeats a nonce the runner wrote into an inherited
//!   pipe (`THREADWORK_NONCE_FD` names the descriptor); the harness reads it
//!   and closes the pipe before the test starts, so learner code finds it
//!   neither in the environment (nor `/proc/self/environ`) nor in the pipe.
//!   A process that exits without that file (an `exit(0)`, an abort, a kill)
//!   or with a forged one has not passed, whatever its exit status or output.
//! * anything else (this is what `cargo test` does) runs every test, or those
//!   whose name contains one of the given words, in this one process, one
//!   after another, and prints a libtest-style summary. That mode is for course
//!   authors; it has no per-test timeout.
//!
//! The names in the environment and the result file's fields are defined
//! once, in the protocol crate (`tests/protocol`), which the runner reads
//! result files with: see [`protocol::ResultFile`]. The harness keeps at
//! most [`MAX_RECORDED_PANICS`] of its `panics`, and writes `category` (see
//! [`crate::category`]) for a failed test that declared one.

use protocol::{FORMAT_VERSION, PanicRecord, ResultFile, Status};
use std::cell::RefCell;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::path::PathBuf;
use std::sync::Mutex;

/// One hidden test: a name unique within its binary and the body to run.
#[derive(Clone, Copy)]
pub struct HiddenTest {
    /// The function's name; reports and `exercises/info.toml` use it.
    pub name: &'static str,
    /// The body. A panic fails the test; returning passes it.
    pub run: fn(),
}

pub use protocol::{NONCE_FD_ENV, RESULT_ENV, STACKS_FD_ENV};

/// At most this many panics are kept for the result file.
pub const MAX_RECORDED_PANICS: usize = 16;

static PANICS: Mutex<Vec<PanicRecord>> = Mutex::new(Vec::new());

thread_local! {
    // The last panic raised on this thread: when the test body unwinds, this
    // is the panic that ended it, with its location.
    static LAST_PANIC: RefCell<Option<PanicRecord>> = const { RefCell::new(None) };
}

/// Runs the hidden tests of one binary as its command line asks. `groups`
/// are the `TESTS` lists made by [`hidden_tests!`](crate::hidden_tests).
pub fn main(groups: &[&[HiddenTest]]) -> ! {
    let tests: Vec<HiddenTest> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    for (i, t) in tests.iter().enumerate() {
        if tests[..i].iter().any(|u| u.name == t.name) {
            eprintln!("hidden test `{}` is declared twice; names must be unique", t.name);
            std::process::exit(2);
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => {
            let mut out = std::io::stdout().lock();
            for t in &tests {
                let _ = writeln!(out, "{}", t.name);
            }
            let _ = out.flush();
            std::process::exit(0)
        }
        Some("--run") => {
            let Some(name) = args.get(1) else {
                eprintln!("usage: --run TEST_NAME");
                std::process::exit(2)
            };
            let Some(test) = tests.iter().find(|t| t.name == name) else {
                eprintln!("no hidden test named `{name}`");
                std::process::exit(2)
            };
            run_one(test)
        }
        _ => run_all(&tests, &args),
    }
}

fn install_panic_recorder() {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        let record = PanicRecord {
            thread: std::thread::current().name().unwrap_or("<unnamed>").to_string(),
            location: info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default(),
            message: payload_message(info.payload()),
        };
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(record.clone()));
        if let Ok(mut all) = PANICS.lock()
            && all.len() < MAX_RECORDED_PANICS
        {
            all.push(record);
        }
        default_hook(info);
    }));
}

pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic whose payload is not a string)".to_string()
    }
}

/// The outcome of one body: `Ok` when it returned, else the panic that ended it.
fn run_body(test: &HiddenTest) -> Result<(), PanicRecord> {
    LAST_PANIC.with(|p| *p.borrow_mut() = None);
    crate::category::forget();
    crate::probe::forget_calls_left_running();
    match panic::catch_unwind(AssertUnwindSafe(test.run)) {
        Ok(()) => Ok(()),
        Err(payload) => Err(LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| PanicRecord {
            thread: "main".into(),
            location: String::new(),
            message: payload_message(payload.as_ref()),
        })),
    }
}

fn stacks_socket() -> Option<std::os::unix::net::UnixStream> {
    use std::os::fd::FromRawFd;
    let fd = std::env::var(STACKS_FD_ENV).ok()?.parse::<i32>().ok().filter(|fd| *fd > 2)?;
    // SAFETY: the supervisor left this descriptor open for the harness; the
    // stream owns and closes it.
    Some(unsafe { std::os::unix::net::UnixStream::from_raw_fd(fd) })
}

/// Asks for the stacks and waits until they are taken (the supervisor's
/// debugger stops and resumes this process meanwhile).
fn ask_for_stacks(mut socket: std::os::unix::net::UnixStream) {
    use std::io::Read;
    let _ = socket.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    if socket.write_all(b"s").is_ok() {
        // The debugger's attach interrupts the read: read again.
        while let Err(e) = socket.read(&mut [0u8; 1]) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                break;
            }
        }
    }
}

/// Reads the nonce from the pipe the runner gave, and closes the pipe.
fn read_nonce() -> String {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let Some(fd) = std::env::var(NONCE_FD_ENV).ok().and_then(|v| v.parse::<i32>().ok()).filter(|fd| *fd > 2) else {
        return String::new();
    };
    // SAFETY: the runner left this descriptor open for us alone; nothing
    // else in this process uses it, and the File closes it when dropped.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut nonce = String::new();
    let _ = pipe.read_to_string(&mut nonce);
    nonce.trim().to_string()
}

fn run_one(test: &HiddenTest) -> ! {
    let result_path = std::env::var_os(RESULT_ENV).map(PathBuf::from);
    let nonce = read_nonce();
    let stacks = stacks_socket();
    // SAFETY: no other thread exists yet; the test body has not started.
    unsafe {
        std::env::remove_var(RESULT_ENV);
        std::env::remove_var(NONCE_FD_ENV);
        std::env::remove_var(STACKS_FD_ENV);
    }
    install_panic_recorder();
    let outcome = run_body(test);
    // A failure that leaves threads stuck is explained best by where they
    // are stuck: ask the supervisor for every thread's stack while they are.
    // So is one where a call into the learner's code never came back.
    let threads_left_behind = crate::category::declared().is_some_and(|c| c.leaves_threads_behind())
        || crate::probe::a_call_was_left_running();
    if outcome.is_err()
        && threads_left_behind
        && let Some(socket) = stacks
    {
        ask_for_stacks(socket);
    }
    let panics = PANICS.lock().map(|p| p.clone()).unwrap_or_default();
    let passed = outcome.is_ok();
    let json = result_json(&nonce, test.name, outcome, panics);
    match result_path {
        Some(path) => {
            // Write then rename, so the runner never reads half a result.
            let tmp = path.with_extension("partial");
            let written = std::fs::write(&tmp, json.as_bytes()).and_then(|()| std::fs::rename(&tmp, &path));
            if let Err(e) = written {
                eprintln!("could not write the result file {}: {e}", path.display());
                std::process::exit(3);
            }
        }
        None => println!("{json}"),
    }
    let _ = std::io::stdout().flush();
    // Exit at once: threads a broken implementation left blocked must not
    // keep the process alive, and the verdict is already written.
    std::process::exit(if passed { 0 } else { 101 })
}

fn run_all(tests: &[HiddenTest], args: &[String]) -> ! {
    let filters: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    let selected: Vec<&HiddenTest> =
        tests.iter().filter(|t| filters.is_empty() || filters.iter().any(|f| t.name.contains(f))).collect();
    install_panic_recorder();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for t in &selected {
        match run_body(t) {
            Ok(()) => println!("test {} ... ok", t.name),
            Err(p) => {
                println!("test {} ... FAILED", t.name);
                failed.push((t.name, p, crate::category::declared()));
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for (name, p, category) in &failed {
            let category = category.map_or("not declared", |c| c.name());
            println!("\n---- {name} ({category}) ----\n{}\n  at {}", p.message, p.location);
        }
    }
    let passed = selected.len() - failed.len();
    println!(
        "\ntest result: {}. {passed} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        tests.len() - selected.len()
    );
    let _ = std::io::stdout().flush();
    std::process::exit(if failed.is_empty() { 0 } else { 101 })
}

/// The result file's text for this run.
fn result_json(nonce: &str, test: &str, outcome: Result<(), PanicRecord>, panics: Vec<PanicRecord>) -> String {
    let (status, message, location) = match outcome {
        Ok(()) => (Status::Passed, String::new(), String::new()),
        Err(p) => (Status::Failed, p.message, p.location),
    };
    ResultFile {
        format_version: FORMAT_VERSION,
        nonce: nonce.to_string(),
        test: test.to_string(),
        status,
        message,
        location,
        panics,
        category: if status == Status::Failed { crate::category::declared() } else { None },
    }
    .to_json()
}
