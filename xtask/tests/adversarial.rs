//! The adversarial corpus (hostile submissions, one attack each), graded as one batch: every submission in
//! `tests/fixtures/adversarial/submissions` attacks the grader in its own way
//! (see that folder's README), and `control` is a correct answer.
//!
//! What must hold: `grade` exits 0 with every submission graded; the control
//! keeps full marks; every cheat scores 0 on the tests it attacks; nothing is
//! written outside the scratch folders; no process is left behind; no
//! connection is made; the grader's memory stays small. Where a cheat's
//! expectation rests on a layer that `cargo xtask doctor --json` reports off
//! (or does not report at all), the test asserts the documented fallback
//! instead (the cheat wins, and the test shows it), so a layer turned on
//! later turns its expectation around. Nothing is skipped in silence: a
//! submission left out of the batch is named, with its layer.
//!
//! Every expectation is checked and the broken ones are reported together,
//! so one run shows every layer that does not hold.

mod support;

use serde_json::Value;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use support::FixtureCourse;

/// The one exercise of the corpus.
const DIR: &str = "05_victim";

/// The layer that kills what a test process leaves running outside its
/// process group (a daemon, through a child subreaper). Named here until
/// `doctor` reports it: a layer it does not report counts as off.
const ORPHANS_LAYER: &str = "timeout_kills_process_tree";

/// What a daemon the corpus leaves behind calls itself (`/proc/PID/comm`).
const DAEMON_NAME: &str = "tw-daemon";

/// The most the grader may hold in memory while tests flood their output.
const GRADER_PEAK_LIMIT_KB: u64 = 300 * 1024;

/// How long the whole batch may take before the test gives up on it.
const GRADER_DEADLINE: Duration = Duration::from_secs(600);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adversarial")
}

/// The fixture course with the corpus's exercise as its only one: the
/// fixture's own exercises would only add builds (and `mixed` and `broken`
/// exist to misbehave under `check`). A short timeout (5 s: the flood of
/// 1 GiB takes about 1 s on an idle machine), one confirmation run at
/// most, and 45 s per build (a few seconds is what a build takes here, and
/// the compiler's hang holds the build lock that long) keep the batch quick.
fn corpus_course() -> FixtureCourse {
    let course = FixtureCourse::new();
    support::copy_tree(&corpus().join("exercise"), &course.path().join("exercises").join(DIR));
    support::copy_tree(&corpus().join("tests"), &course.path().join("tests").join(DIR));
    support::copy_tree(&corpus().join("solution"), &course.path().join("solutions").join(DIR));
    let info = course.path().join("exercises/info.toml");
    let mut table: toml::Table = std::fs::read_to_string(&info).unwrap().parse().unwrap();
    let defaults: toml::Table =
        "confirm_catch_rate = 0.5\nconfirm_miss_chance = 0.5\nbuild_timeout_secs = 45\n".parse().unwrap();
    table.insert("defaults".into(), defaults.into());
    let victim: toml::Table = format!("name = \"victim\"\ndir = \"{DIR}\"\ntimeout_secs = 5\n").parse().unwrap();
    table.insert("exercise".into(), toml::Value::Array(vec![victim.into()]));
    std::fs::write(&info, toml::to_string(&table).unwrap()).unwrap();
    course
}

/// `cargo xtask doctor --json` on this machine.
struct Layers(Value);

impl Layers {
    fn of(course: &FixtureCourse) -> Layers {
        let output = course.xtask().args(["doctor", "--json"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        Layers(serde_json::from_slice(&output.stdout).unwrap())
    }

    /// A layer `doctor` does not name is off.
    fn on(&self, name: &str) -> bool {
        self.0.get(name).and_then(|l| l.get("on")).and_then(Value::as_bool) == Some(true)
    }

    fn describe(&self, name: &str) -> String {
        match self.0.get(name).and_then(|l| l.get("note")).and_then(Value::as_str) {
            Some(note) => format!("{name} is {} ({note})", if self.on(name) { "on" } else { "off" }),
            None => format!("{name} is not reported by doctor, so off"),
        }
    }
}

/// A process on this machine, as /proc shows it.
struct Proc {
    pid: i32,
    comm: String,
    exe: String,
    cwd: String,
}

impl Proc {
    fn describe(list: &[Proc]) -> String {
        list.iter().map(|p| format!("\n  {} `{}`, running {}, in {}", p.pid, p.comm, p.exe, p.cwd)).collect()
    }
}

/// Every process whose program, folder or command line is under `root`
/// (zombies show none of them, and are not counted).
fn processes_under(root: &Path) -> Vec<Proc> {
    let root = root.to_string_lossy().into_owned();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        if pid == std::process::id() as i32 {
            continue;
        }
        let link = |what: &str| {
            std::fs::read_link(entry.path().join(what)).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
        };
        let (exe, cwd) = (link("exe"), link("cwd"));
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if exe.starts_with(&root) || cwd.starts_with(&root) || cmdline.contains(&root) {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default().trim().to_string();
            found.push(Proc { pid, comm, exe, cwd });
        }
    }
    found
}

/// Every file under `dir` (links not followed).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                pending.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

/// The folders outside the temporary ones where `writes_outside` may leave
/// a file: above every path it can see, /tmp, and $HOME.
fn shared_places() -> Vec<PathBuf> {
    let mut places = vec![PathBuf::from("/"), std::env::temp_dir(), PathBuf::from("/tmp")];
    if let Some(home) = std::env::var_os("HOME") {
        places.push(PathBuf::from(home));
    }
    places.dedup();
    places
}

/// Whatever the corpus leaves behind goes when the test ends, pass or fail:
/// the processes under the course copy (by pid), and the files
/// `writes_outside` made in shared folders (by their exact name).
struct Cleanup {
    root: PathBuf,
    escaped_name: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in processes_under(&self.root) {
            // SAFETY: a plain system call, on a process this test started.
            unsafe {
                libc::kill(p.pid, libc::SIGKILL);
            }
        }
        for place in shared_places() {
            let _ = std::fs::remove_file(place.join(&self.escaped_name));
        }
    }
}

/// One run of `grade`, watched from outside.
struct GraderRun {
    status: ExitStatus,
    /// The grader's peak resident memory (VmHWM), in KiB.
    peak_kb: u64,
    stdout: String,
    stderr: String,
}

fn grade(course: &FixtureCourse, batch: &Path, out: &Path, env: &[(&str, String)]) -> GraderRun {
    let logs = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("--root")
        .arg(course.path())
        .env("THREADWORK_TARGET_DIR", support::course_root().join("target/threadwork/target"))
        .arg("grade")
        .arg(batch)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "2"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let status_path = PathBuf::from(format!("/proc/{}/status", child.id()));
    let deadline = Instant::now() + GRADER_DEADLINE;
    let mut peak_kb = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            for line in text.lines().filter(|l| l.starts_with("VmHWM:") || l.starts_with("VmRSS:")) {
                let kb = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the grader did not finish the batch within {GRADER_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    GraderRun {
        status,
        peak_kb,
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
    }
}

/// What a submission must score.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Every test passes.
    FullMarks,
    /// 0 points, every test ending with one of these statuses.
    Zero(&'static [&'static str]),
    /// Refused at build time: `compile_error`, 0 points.
    CompileError,
    /// Every test ends with one of these statuses, whatever the score: the
    /// attack is on the grader, and how long the test takes is the machine's.
    EndsAs(&'static [&'static str]),
}

/// The corpus, each submission with what it must score on a machine with
/// these layers, and why.
fn expectations(layers: &Layers) -> Vec<(&'static str, Expect, String)> {
    use Expect::*;
    let held_or_fallback = |layer: &str| {
        if layers.on(layer) {
            (Zero(&["failed"]), format!("{}: the attack fails, and so does the answer", layers.describe(layer)))
        } else {
            (FullMarks, format!("{}: the documented fallback is that the attack works", layers.describe(layer)))
        }
    };
    let mut list = vec![
        ("control", FullMarks, "a correct answer".to_string()),
        (
            "fork_bomb",
            Zero(&["failed", "crashed", "timed_out"]),
            format!("{}: a fork fails before 2^13 processes", layers.describe("process_count_limit")),
        ),
        (
            "thread_bomb",
            // Out of address space, the assertion's own message may fail to
            // allocate: the test then aborts instead of failing.
            Zero(&["failed", "crashed"]),
            "address_space_limit: spawning fails near 2000 threads, short of 5000".to_string(),
        ),
        ("memory_bomb", Zero(&["failed"]), "address_space_limit: an allocation fails near 4 GiB, short of 8".into()),
        ("busy_loop", Zero(&["timed_out"]), "the timeout stops it".into()),
        ("sleeps_forever", Zero(&["timed_out"]), "the timeout stops it".into()),
        ("stack_overflow", Zero(&["crashed"]), "it dies of the overflow".into()),
        ("aborts", Zero(&["crashed"]), "an abort is no pass".into()),
        ("exits_zero", Zero(&["crashed"]), "exit(0) before the body returned is no pass".into()),
        ("fakes_test_output", Zero(&["crashed"]), "a result file without the run's nonce is no pass".into()),
        (
            "steals_the_nonce",
            Zero(&["failed"]),
            "the nonce came through a pipe the harness drained and closed, never the environment".into(),
        ),
        (
            "floods_output",
            // 1 GiB through a pipe takes about 1 s, more on a loaded machine.
            EndsAs(&["passed", "timed_out"]),
            "its answer is right; the grader's memory is what it attacks".into(),
        ),
        ("fills_the_disk", Zero(&["crashed"]), "file_size_limit: SIGXFSZ at 64 MiB, short of 100".into()),
        ("leaves_a_daemon", FullMarks, "its answer is right; the process left behind is what it attacks".into()),
        ("build_script_and_manifest", FullMarks, "its manifest and build script are never used".into()),
        ("includes_the_solution", CompileError, "include_str! reaching outside src/ is refused".into()),
        ("hangs_the_compiler", CompileError, "the build's time limit stops the compiler".into()),
    ];
    for (cheat, layer) in [
        ("writes_outside", "files_confined"),
        ("reads_solutions", "files_confined"),
        ("reads_other_submissions", "files_confined"),
        ("connects_to_loopback", "no_network"),
    ] {
        let (expect, why) = held_or_fallback(layer);
        list.push((cheat, expect, why));
    }
    list.push((
        "kills_its_parent",
        Zero(&["failed"]),
        format!("{}: the signal is refused", layers.describe("signals_scoped")),
    ));
    list
}

/// The corpus's exercise in a submission's report (null if it has none).
fn victim(sub: &Value) -> &Value {
    sub["exercises"].as_array().and_then(|list| list.iter().find(|e| e["name"] == "victim")).unwrap_or(&Value::Null)
}

/// One line per submission: its status, score and each test's status.
fn scoreboard(report: &Value) -> String {
    let mut text = String::new();
    for sub in report["submissions"].as_array().into_iter().flatten() {
        let ex = victim(sub);
        let tests: Vec<String> = ex["tests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                let (name, status) = (t["name"].as_str().unwrap_or("?"), t["status"].as_str().unwrap_or("?"));
                format!("{name}={status} ({} ms)", t["duration_ms"])
            })
            .collect();
        text.push_str(&format!(
            "  {:<26} {:<8} {:<13} {}/{}  {}\n",
            sub["id"].as_str().unwrap_or("?"),
            sub["status"].as_str().unwrap_or("?"),
            ex["status"].as_str().unwrap_or("?"),
            ex["score"],
            ex["max_score"],
            tests.join(" ")
        ));
    }
    text
}

#[test]
fn the_adversarial_corpus_scores_zero_and_the_control_keeps_full_marks() {
    let started = Instant::now();
    let course = corpus_course();
    let layers = Layers::of(&course);
    let tag = format!("{}-{}", std::process::id(), rand_seed());
    let escaped_name = format!("escaped-by-writes_outside-{tag}");
    let _cleanup = Cleanup { root: course.path().to_path_buf(), escaped_name: escaped_name.clone() };
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    let out = tmp.path().join("out");
    let mut problems: Vec<String> = Vec::new();
    let mut check = |ok: bool, problem: String| {
        if !ok {
            problems.push(problem);
        }
    };

    let all = expectations(&layers);
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus().join("submissions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = all.iter().map(|(id, ..)| id.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every submission of the corpus has an expectation here, and only those");

    // Two submissions cannot go in the batch while their layer is off. A
    // fork bomb as root is stopped only by its timeout, which may be too
    // late for a shared machine. A grader its test can kill grades nothing
    // else, so that one is graded alone below, to show the fallback.
    let mut left_out = Vec::new();
    if !layers.on("process_count_limit") {
        println!(
            "note: fork_bomb is not graded: {}; without a cap, a fork bomb as root is stopped only by its \
             timeout, so it runs only where the cap is on",
            layers.describe("process_count_limit")
        );
        left_out.push("fork_bomb");
    }
    if !layers.on("signals_scoped") {
        println!(
            "note: kills_its_parent is graded alone: {}, so it kills its grader",
            layers.describe("signals_scoped")
        );
        left_out.push("kills_its_parent");
    }
    let graded: Vec<&(&str, Expect, String)> = all.iter().filter(|(id, ..)| !left_out.contains(id)).collect();
    for (id, ..) in &graded {
        support::copy_tree(&corpus().join("submissions").join(id), &batch.join(id));
    }
    let control_source = std::fs::read_to_string(batch.join("control/exercises").join(DIR).join("src/lib.rs")).unwrap();
    assert!(control_source.contains("control-marker-4e9d1c"), "the control lost the marker a cheat looks for");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let env = [("FIXTURE_PORT", port.to_string()), ("FIXTURE_TAG", tag.clone())];
    let run = grade(&course, &batch, &out, &env);

    // The grader exits normally, every submission graded.
    assert_eq!(
        run.status.code(),
        Some(0),
        "the grader did not exit normally ({}):\n{}\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    let report_text = std::fs::read_to_string(out.join("report.json")).unwrap();
    let report: Value = serde_json::from_str(&report_text).unwrap();
    let board = scoreboard(&report);
    println!("{board}");
    let mut ids: Vec<&str> =
        report["submissions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected_ids: Vec<&str> = graded.iter().map(|(id, ..)| *id).collect();
    expected_ids.sort();
    check(ids == expected_ids, format!("the report has {ids:?}, the batch {expected_ids:?}"));

    // Each submission's score.
    for (id, expect, why) in &graded {
        let Some(sub) = report["submissions"].as_array().unwrap().iter().find(|s| s["id"] == *id) else { continue };
        check(sub["status"] == "graded", format!("{id}: {} instead of graded ({why})", sub["status"]));
        let ex = victim(sub);
        let tests = ex["tests"].as_array().map(Vec::as_slice).unwrap_or_default();
        let statuses: Vec<&str> = tests.iter().map(|t| t["status"].as_str().unwrap_or("?")).collect();
        let (score, max) = (ex["score"].as_f64().unwrap_or(f64::NAN), ex["max_score"].as_f64().unwrap_or(f64::NAN));
        match expect {
            Expect::FullMarks => check(
                ex["status"] == "passed" && score == max && max > 0.0,
                format!("{id} should keep full marks ({why}), got {score}/{max}, tests {statuses:?}"),
            ),
            Expect::Zero(allowed) => check(
                score == 0.0 && !tests.is_empty() && statuses.iter().all(|s| allowed.contains(s)),
                format!("{id} should score 0 with tests {allowed:?} ({why}), got {score}/{max}, tests {statuses:?}"),
            ),
            Expect::CompileError => check(
                ex["status"] == "compile_error" && score == 0.0,
                format!("{id} should not compile ({why}), got {} {score}/{max}, tests {statuses:?}", ex["status"]),
            ),
            Expect::EndsAs(allowed) => check(
                !tests.is_empty() && statuses.iter().all(|s| allowed.contains(s)),
                format!("{id}: tests should end as {allowed:?} ({why}), got {statuses:?}"),
            ),
        }
        for t in tests {
            let message = t["message"].as_str().unwrap_or_default();
            check(message.len() < 16 << 10, format!("{id}: a message of {} bytes in the report", message.len()));
        }
        let says = |needle: &str| tests.iter().all(|t| t["message"].as_str().unwrap_or_default().contains(needle));
        match *id {
            "stack_overflow" => check(says("overflowed its stack"), format!("{id}: no word of the overflow")),
            "fakes_test_output" => check(says("not written by the harness"), format!("{id}: the forgery unnamed")),
            "hangs_the_compiler" => check(
                ex["compiler_output"].as_str().unwrap_or_default().contains("was stopped"),
                format!("{id}: the compiler's output does not say the build was stopped: {}", ex["compiler_output"]),
            ),
            _ => {}
        }
    }

    // Output: 2 GiB through the grader, which keeps a bounded part of it.
    check(
        run.peak_kb < GRADER_PEAK_LIMIT_KB,
        format!("the grader's memory reached {} MiB while tests flooded their output", run.peak_kb >> 10),
    );
    check(report_text.len() < 1 << 20, format!("report.json is {} bytes", report_text.len()));

    // The network: nothing reached the port.
    listener.set_nonblocking(true).unwrap();
    let reached = listener.accept();
    if layers.on("no_network") {
        check(
            matches!(&reached, Err(e) if e.kind() == ErrorKind::WouldBlock),
            format!("a test connected to the loopback port: {reached:?}"),
        );
    } else {
        check(reached.is_ok(), format!("{}, yet nothing connected", layers.describe("no_network")));
    }

    // Files: nothing outside the scratch folders.
    let mut everywhere = files_under(course.path());
    everywhere.extend(files_under(tmp.path()));
    let escaped: Vec<PathBuf> = everywhere
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == escaped_name.as_str()))
        .cloned()
        .chain(shared_places().into_iter().map(|d| d.join(&escaped_name)).filter(|p| p.exists()))
        .collect();
    if layers.on("files_confined") {
        check(escaped.is_empty(), format!("a test wrote outside its folder: {escaped:#?}"));
    } else {
        check(!escaped.is_empty(), format!("{}, yet writes_outside wrote nothing", layers.describe("files_confined")));
    }
    let build_marks: Vec<&PathBuf> =
        everywhere.iter().filter(|p| p.file_name().is_some_and(|n| n == "build-script-ran")).collect();
    check(build_marks.is_empty(), format!("a submission's build script ran: {build_marks:?}"));
    let big: Vec<String> = everywhere
        .iter()
        .filter_map(|p| std::fs::symlink_metadata(p).ok().filter(|m| m.len() > 64 << 20).map(|m| (p, m.len())))
        .map(|(p, len)| format!("{} ({len} bytes)", p.display()))
        .collect();
    check(big.is_empty(), format!("a file over the 64 MiB limit remains: {big:?}"));

    // A grader its test can kill: alone, where signals are not scoped.
    if left_out.contains(&"kills_its_parent") {
        let alone = tmp.path().join("alone");
        support::copy_tree(&corpus().join("submissions/kills_its_parent"), &alone.join("kills_its_parent"));
        let run = grade(&course, &alone, &tmp.path().join("alone-out"), &env);
        check(
            run.status.signal() == Some(libc::SIGKILL),
            format!(
                "{}: the documented fallback is that kills_its_parent kills its grader, which ended with {}",
                layers.describe("signals_scoped"),
                run.status
            ),
        );
    }

    // Processes: nothing left running from the course copy, but for the
    // daemon where no layer kills it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (daemons, others) = loop {
        let (daemons, others): (Vec<Proc>, Vec<Proc>) =
            processes_under(course.path()).into_iter().partition(|p| p.comm == DAEMON_NAME);
        let settled = others.is_empty() && (daemons.is_empty() || !layers.on(ORPHANS_LAYER));
        if settled || Instant::now() > deadline {
            break (daemons, others);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    check(others.is_empty(), format!("processes left behind:{}", Proc::describe(&others)));
    if layers.on(ORPHANS_LAYER) {
        check(
            daemons.is_empty(),
            format!("{}, yet daemons live on:{}", layers.describe(ORPHANS_LAYER), Proc::describe(&daemons)),
        );
    } else {
        check(
            !daemons.is_empty(),
            format!(
                "{}, yet no daemon of leaves_a_daemon lives on: rename ORPHANS_LAYER?",
                layers.describe(ORPHANS_LAYER)
            ),
        );
    }

    println!(
        "graded {} submissions in {:.0?}; the grader's peak memory {} MiB",
        graded.len(),
        started.elapsed(),
        run.peak_kb >> 10
    );
    assert!(
        problems.is_empty(),
        "{} of the corpus's expectations failed:\n- {}\n\nthe batch:\n{board}",
        problems.len(),
        problems.join("\n- ")
    );
}

/// A few bits that differ from one run to the next, for names in shared
/// folders.
fn rand_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}
