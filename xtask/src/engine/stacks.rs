//! Where every thread of a test process was: its stacks, taken with gdb
//! while it still runs, and read back as the learner's own lines.
//!
//! The supervisor takes them (`capture`) when a test reaches its timeout,
//! before killing it, and when the test asks, which the test kit does when a
//! test fails having declared a mistake that leaves threads stuck (a
//! deadlock, a lost wakeup, a leaked thread). They go to a file beside the
//! test's scratch folder, where the test cannot write; the runner reads it
//! (`describe`) into the failure's message: per thread, what it was blocked
//! in and the lines of the code under test it was called from.
//!
//! gdb is optional: without it the message says so, and nothing else changes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one capture may take; gdb attaches, reads the binary's debug
/// information and unwinds every thread, a few seconds on a busy machine.
pub const CAPTURE_LIMIT: Duration = Duration::from_secs(20);

/// The first line of a stacks file that holds no stacks, then why.
const UNAVAILABLE: &str = "unavailable:";

/// The debugger, if one is installed.
pub fn gdb() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("gdb")).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Takes the stacks of every thread of process `pid` and writes them to
/// `file` (or, when they cannot be taken, a line saying why).
pub fn capture_to(pid: libc::pid_t, file: &Path) {
    let text = match capture(pid) {
        Ok(text) => text,
        Err(why) => format!("{UNAVAILABLE} {why}\n"),
    };
    let _ = std::fs::write(file, text);
}

fn capture(pid: libc::pid_t) -> Result<String, String> {
    let gdb = gdb().ok_or("gdb is not installed (install it to see where each thread was)")?;
    let mut child = Command::new(gdb)
        .args(["--batch", "--nx", "-p", &pid.to_string()])
        .args(["-ex", "set pagination off", "-ex", "set print frame-arguments none", "-ex", "thread apply all bt 40"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start gdb: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + CAPTURE_LIMIT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("gdb took over {} s", CAPTURE_LIMIT.as_secs()));
            }
        }
    }
    let text = reader.join().unwrap_or_default();
    if !text.lines().any(|l| l.starts_with("Thread ")) {
        return Err("gdb could not attach to the test (is ptrace allowed here?)".to_string());
    }
    Ok(text)
}

/// One thread as gdb listed it.
#[derive(Debug, PartialEq)]
pub struct Thread {
    /// gdb's number for it: 1 is the process's first thread.
    pub number: usize,
    pub name: String,
    /// Innermost first.
    pub frames: Vec<Frame>,
}

#[derive(Debug, PartialEq)]
pub struct Frame {
    pub function: String,
    /// `file:line`, when gdb knew it.
    pub place: Option<String>,
}

/// Reads `thread apply all bt` output.
pub fn parse(text: &str) -> Vec<Thread> {
    let mut threads: Vec<Thread> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Thread ") {
            // Thread 2 (Thread 0x7f.. (LWP 5868) "name"):
            let number = rest.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let name = rest.rsplit_once(") \"").and_then(|(_, n)| n.strip_suffix("\"):")).unwrap_or("").to_string();
            threads.push(Thread { number, name, frames: Vec::new() });
        } else if line.starts_with('#') {
            let Some(thread) = threads.last_mut() else { continue };
            // #5  0x0000563d in name<T> () at file:line   or   #9  name () at file:line
            let body = line.split_once(' ').map_or("", |(_, b)| b).trim_start();
            let body = match body.split_once(" in ") {
                Some((address, rest)) if address.starts_with("0x") => rest,
                _ => body,
            };
            let (function, place) = match body.rsplit_once(" at ") {
                Some((f, p)) => (f, Some(p.trim().to_string())),
                None => (body.split(" from ").next().unwrap_or(body), None),
            };
            let function = function.trim().trim_end_matches("()").trim().to_string();
            thread.frames.push(Frame { function, place });
        }
    }
    threads
}

/// The stacks in `text` (a stacks file) in the learner's terms: each thread
/// that was in the code under test, what it was blocked in, and the lines
/// of that code it was called from. `in_code_under_test` tells those lines
/// (already made relative to the course root by `relativize`).
pub fn describe(
    text: &str,
    relativize: impl Fn(&str) -> String,
    in_code_under_test: impl Fn(&str) -> bool,
) -> Described {
    if let Some(why) = text.strip_prefix(UNAVAILABLE) {
        return Described::Text(format!("(The threads' stacks could not be taken: {}.)", why.trim()));
    }
    let threads = parse(text);
    let mut lines = Vec::new();
    let mut others = 0;
    for thread in &threads {
        let places: Vec<(usize, String, &Frame)> = thread
            .frames
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.place.as_deref().map(|p| (i, relativize(p), f)))
            .filter(|(_, p, _)| in_code_under_test(p))
            .collect();
        let Some((first, first_place, _)) = places.first() else {
            others += 1;
            continue;
        };
        let name = if thread.name.is_empty() { String::new() } else { format!(" \"{}\"", thread.name) };
        let waiting = blocked_in(&thread.frames[..*first]);
        lines.push(format!("  thread {}{name}: {waiting} at {first_place}", thread.number));
        for (_, place, frame) in places.iter().skip(1).take(3) {
            lines.push(format!("      called from {place} ({})", short(&frame.function)));
        }
    }
    if lines.is_empty() {
        return Described::NoneInCodeUnderTest { threads: threads.len() };
    }
    let mut out = String::from("Where each thread of your code was:\n");
    out.push_str(&lines.join("\n"));
    if others > 0 {
        let threads = if others == 1 { "thread" } else { "threads" };
        out.push_str(&format!("\n  (and {others} more {threads}, in the test's own code or already finished)"));
    }
    Described::Text(out)
}

/// What a capture says about the code under test.
#[derive(Debug, PartialEq, Eq)]
pub enum Described {
    /// Where its threads were, or why the stacks could not be taken.
    Text(String),
    /// No thread was in the code under test: it had returned by then, or
    /// gdb could not read the frames.
    NoneInCodeUnderTest { threads: usize },
}

impl Described {
    /// The words to add to a failure's message: always for a timeout (the
    /// learner should know the capture was tried), and otherwise only when
    /// they point at the learner's code.
    pub fn for_message(self, timed_out: bool) -> Option<String> {
        match self {
            Described::Text(text) => Some(text),
            Described::NoneInCodeUnderTest { threads } if timed_out => {
                let threads =
                    if threads == 1 { "its one thread".to_string() } else { format!("its {threads} threads") };
                Some(format!(
                    "(The stacks of {threads} show none in your code: it had already returned, or gdb could not \
                     read them.)"
                ))
            }
            Described::NoneInCodeUnderTest { .. } => None,
        }
    }
}

/// What the frames below the learner's innermost one were doing, in words.
fn blocked_in(inner: &[Frame]) -> String {
    let known: [(&str, &str, &str); 13] = [
        ("mutex.rs", "lock", "blocked in Mutex::lock"),
        ("rwlock.rs", "read", "blocked in RwLock::read"),
        ("rwlock.rs", "write", "blocked in RwLock::write"),
        ("condvar.rs", "wait", "waiting in Condvar::wait"),
        ("join_handle.rs", "join", "waiting in JoinHandle::join"),
        ("scoped.rs", "join", "waiting in ScopedJoinHandle::join"),
        ("scoped.rs", "scope", "waiting in thread::scope for its threads"),
        ("thread/mod.rs", "join", "waiting in JoinHandle::join"),
        ("barrier.rs", "wait", "waiting in Barrier::wait"),
        ("mpsc", "recv", "waiting in Receiver::recv"),
        ("mpsc", "send", "blocked in SyncSender::send"),
        ("crossbeam-channel", "", "waiting on a crossbeam channel"),
        ("functions.rs", "sleep", "sleeping in thread::sleep"),
    ];
    // The outermost library frame is the call the learner's code made.
    for frame in inner.iter().rev() {
        let place = frame.place.as_deref().unwrap_or("");
        for (file, function, words) in known {
            if place.contains(file) && short(&frame.function).contains(function) {
                return words.to_string();
            }
        }
    }
    match inner.last() {
        Some(frame) => format!("in {}", short(&frame.function)),
        None => "running".to_string(),
    }
}

/// `lock<i64>` for `std::sync::poison::mutex::Mutex<i64>::lock<i64>`-like
/// names: the last path segment, without its hash.
fn short(function: &str) -> String {
    let mut depth = 0;
    let mut cut = 0;
    let bytes: Vec<char> = function.chars().collect();
    for (i, c) in bytes.iter().enumerate() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ':' if depth == 0 && i + 1 < bytes.len() && bytes[i + 1] == ':' => cut = i + 2,
            _ => {}
        }
    }
    let last: String = bytes[cut.min(bytes.len())..].iter().collect();
    match last.strip_prefix('h').filter(|h| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit())) {
        Some(_) => short(function[..function.len() - last.len()].trim_end_matches("::")),
        None => last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_DEADLOCKED: &str = r#"[New LWP 101]
Thread 3 (Thread 0x7f2 (LWP 102) "hidden"):
#0  0x00007f in syscall () from /lib/x86_64-linux-gnu/libc.so.6
#1  0x000055 in futex_wait () at /rustc/abc/library/std/src/sys/pal/unix/futex.rs:72
#2  0x000056 in lock_contended () at /rustc/abc/library/std/src/sys/sync/mutex/futex.rs:70
#3  lock () at /rustc/abc/library/std/src/sys/sync/mutex/futex.rs:31
#4  std::sync::poison::mutex::Mutex<i64>::lock<i64> () at /rustc/abc/library/std/src/sync/poison/mutex.rs:436
#5  0x000057 in bank::Bank::transfer () at /course/exercises/12_bank/src/lib.rs:58
#6  0x000058 in stress::opposite::{closure#0} () at /course/tests/12_bank/stress.rs:120

Thread 2 (Thread 0x7f1 (LWP 101) "hidden"):
#0  0x00007f in syscall () from /lib/x86_64-linux-gnu/libc.so.6
#4  std::sync::poison::mutex::Mutex<i64>::lock<i64> () at /rustc/abc/library/std/src/sync/poison/mutex.rs:436
#5  0x000057 in bank::Bank::transfer () at /course/exercises/12_bank/src/lib.rs:58
#6  0x000059 in bank::Bank::pay::h0123456789abcdef () at /course/exercises/12_bank/src/lib.rs:90

Thread 1 (Thread 0x7f0 (LWP 100) "hidden"):
#0  0x00007f in clock_nanosleep () from /lib/x86_64-linux-gnu/libc.so.6
#1  0x000060 in std::thread::sleep () at /rustc/abc/library/std/src/thread/functions.rs:100
#2  0x000061 in main () at /course/tests/12_bank/main.rs:3
"#;

    fn relativize(p: &str) -> String {
        p.strip_prefix("/course/").unwrap_or(p).to_string()
    }

    #[test]
    fn threads_and_frames_are_read_innermost_first() {
        let threads = parse(TWO_DEADLOCKED);
        assert_eq!(threads.len(), 3);
        assert_eq!((threads[0].number, threads[0].name.as_str()), (3, "hidden"));
        assert_eq!(threads[0].frames[0], Frame { function: "syscall".into(), place: None });
        assert_eq!(threads[0].frames[3].function, "lock");
        assert_eq!(threads[0].frames[5].place.as_deref(), Some("/course/exercises/12_bank/src/lib.rs:58"));
    }

    #[test]
    fn a_deadlock_reads_as_each_thread_blocked_in_lock_at_the_learners_line() {
        let text = describe(TWO_DEADLOCKED, relativize, |p| p.starts_with("exercises/"));
        assert_eq!(
            text.for_message(false).unwrap(),
            "Where each thread of your code was:\n\
             \x20 thread 3 \"hidden\": blocked in Mutex::lock at exercises/12_bank/src/lib.rs:58\n\
             \x20 thread 2 \"hidden\": blocked in Mutex::lock at exercises/12_bank/src/lib.rs:58\n\
             \x20     called from exercises/12_bank/src/lib.rs:90 (pay)\n\
             \x20 (and 1 more thread, in the test's own code or already finished)"
        );
    }

    #[test]
    fn no_stacks_says_why() {
        let text = describe("unavailable: gdb is not installed\n", relativize, |_| true);
        assert_eq!(text.for_message(false).unwrap(), "(The threads' stacks could not be taken: gdb is not installed.)");
    }

    #[test]
    fn stacks_outside_the_learners_code_are_mentioned_only_for_a_timeout() {
        let none = || describe(TWO_DEADLOCKED, relativize, |_| false);
        assert_eq!(none(), Described::NoneInCodeUnderTest { threads: 3 });
        assert_eq!(none().for_message(false), None, "a failure the test explained needs no note");
        assert!(none().for_message(true).unwrap().starts_with("(The stacks of its 3 threads show none in your code"));
    }

    #[test]
    fn short_names_drop_paths_generics_and_hashes() {
        assert_eq!(short("std::sync::poison::mutex::Mutex<i64>::lock<i64>"), "lock<i64>");
        assert_eq!(short("bank::Bank::pay::h0123456789abcdef"), "pay");
        assert_eq!(short("{closure#1}"), "{closure#1}");
    }
}
