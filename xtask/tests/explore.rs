//! The schedule-exploration tier on the real course (exercise 02): the
//! reference solution passes it, a lost-wakeup WaitGroup whose window is a
//! few instructions wide fails it the same way on every run, and the
//! command its failure prints replays that failure.

mod support;

use std::path::Path;
use support::{course_root, json_lines, test_line};

const EXPLORED: [&str; 2] = [
    "explored_wait_returns_after_the_last_done_in_every_schedule",
    "explored_every_waiter_is_released_in_every_schedule",
];

fn xtask() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("xtask").unwrap();
    cmd.env("NO_COLOR", "1").env_remove("THREADWORK_REPLAY_SCHEDULE");
    cmd
}

fn check_json(source: &str, tests: &[&str]) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut cmd = xtask();
    cmd.args(["check", "02", "--format", "json", "--source"]).arg(course_root().join(source));
    for test in tests {
        cmd.args(["--test", test]);
    }
    let output = cmd.output().unwrap();
    (output.status.code(), json_lines(&output.stdout))
}

#[test]
fn the_solution_passes_every_explored_schedule() {
    let (code, lines) = check_json("solutions/02_wait_group", &EXPLORED);
    for test in EXPLORED {
        assert_eq!(test_line(&lines, test)["status"], "passed", "{:#}", test_line(&lines, test));
    }
    assert_eq!(code, Some(0));
}

#[test]
fn a_narrow_lost_wakeup_fails_every_run_and_its_schedule_replays() {
    let mutant = "tests/02_wait_group/mutants/lost_wakeup_unlocks_between_check_and_sleep.rs";
    let test = EXPLORED[0];
    let failure = |lines: &[serde_json::Value]| {
        let line = test_line(lines, test);
        assert_eq!(line["status"], "failed", "{line:#}");
        assert_eq!(line["category"], "lost_wakeup", "{line:#}");
        line["message"].as_str().unwrap().to_string()
    };
    let (code, lines) = check_json(mutant, &[test]);
    assert_eq!(code, Some(1));
    let first = failure(&lines);
    assert!(first.contains("deadlock! blocked tasks"), "{first}");
    // Same code, same verdict, same schedule.
    let (_, again) = check_json(mutant, &[test]);
    assert_eq!(failure(&again), first, "a second run found another failure");

    let replay = first
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay it: "))
        .unwrap_or_else(|| panic!("no replay command in: {first}"));
    let words: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(words[..5], ["cargo", "xtask", "replay", "wait_group", test], "{replay}");
    let output = xtask()
        .args(["replay", words[3], words[4], words[5], "--format", "json", "--source"])
        .arg(course_root().join(mutant))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let replayed = failure(&json_lines(&output.stdout));
    assert!(replayed.contains("under the schedule given to replay, this schedule failed: deadlock!"), "{replayed}");
    // The replay shows where the waiter sleeps: in Condvar::wait, at the
    // mutant's own line.
    let source = std::fs::read_to_string(course_root().join(mutant)).unwrap();
    let waits = source.lines().position(|l| l.contains("self.zero.wait(count)")).expect("the mutant waits") + 1;
    assert!(replayed.contains(&format!("main-thread: waiting in Condvar::wait at {mutant}:{waits}:")), "{replayed}");
}

#[test]
fn replay_refuses_what_is_not_a_schedule() {
    let output = xtask().args(["replay", "wait_group", EXPLORED[0], "not-hex"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    // letter_frequency is built on rayon, which shuttle cannot see: it has
    // no explore.rs.
    let output = xtask().args(["replay", "letter_frequency", "anything", "00"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "letter_frequency has no explore.rs: {output:?}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("has no schedule-exploration tests"), "{said}");
}

/// A correct WaitGroup in a style shuttle cannot build: its Condvar has no
/// `wait_timeout_ms` (deprecated in std, still there).
fn correct_but_unexplorable() -> String {
    let solution = std::fs::read_to_string(course_root().join("solutions/02_wait_group/src/lib.rs")).unwrap();
    let wait = "        let count = self.lock();\n        let _zero = self\n            .zero\n            .wait_while(count, |count| *count > 0)\n            .unwrap_or_else(PoisonError::into_inner);\n";
    assert!(solution.contains(wait), "the solution's wait() changed; update this test");
    let by_timeouts = "        let mut count = self.lock();\n        while *count > 0 {\n            #[allow(deprecated)]\n            let (next, _) = self.zero.wait_timeout_ms(count, 1000).unwrap_or_else(PoisonError::into_inner);\n            count = next;\n        }\n";
    solution.replace(wait, by_timeouts)
}

fn submission(root: &Path, who: &str, lib: &str) {
    let src = root.join(who).join("exercises/02_wait_group/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("lib.rs"), lib).unwrap();
}

/// `grade` runs the tier too: the solution earns its points, the narrow
/// lost wakeup loses them, and code the tier cannot rebuild is judged by
/// the other tests alone, its tier tests listed as not run and worth 0.
#[test]
fn grade_counts_the_tier_and_never_charges_code_it_cannot_explore() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    let read = |p: &str| std::fs::read_to_string(course_root().join(p)).unwrap();
    submission(&batch, "erin", &read("solutions/02_wait_group/src/lib.rs"));
    submission(&batch, "frank", &read("tests/02_wait_group/mutants/lost_wakeup_unlocks_between_check_and_sleep.rs"));
    submission(&batch, "gail", &correct_but_unexplorable());
    let out = tmp.path().join("out");
    let output = xtask().arg("grade").arg(&batch).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let wait_group = |who: &str| {
        let sub = report["submissions"].as_array().unwrap().iter().find(|s| s["id"] == who).unwrap().clone();
        sub["exercises"].as_array().unwrap().iter().find(|e| e["name"] == "wait_group").unwrap().clone()
    };
    let explored = |e: &serde_json::Value| -> Vec<serde_json::Value> {
        e["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| EXPLORED.contains(&t["name"].as_str().unwrap()))
            .cloned()
            .collect()
    };
    let erin = wait_group("erin");
    assert_eq!(erin["score"], erin["max_score"], "{erin:#}");
    assert_eq!(explored(&erin).len(), 2);
    let frank = wait_group("frank");
    for t in explored(&frank) {
        assert_eq!((t["status"].as_str(), t["category"].as_str()), (Some("failed"), Some("lost_wakeup")), "{t:#}");
    }
    let gail = wait_group("gail");
    assert_eq!(gail["status"], "passed", "the other tests judge it correct: {gail:#}");
    assert_eq!(gail["score"], gail["max_score"], "{gail:#}");
    for t in explored(&gail) {
        assert_eq!((t["status"].as_str(), t["max_score"].as_f64()), (Some("not_run"), Some(0.0)), "{t:#}");
        assert!(t["message"].as_str().unwrap().starts_with("not explored, so not counted"), "{t:#}");
    }
    let explored_points: f64 = explored(&erin).iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert_eq!(gail["max_score"].as_f64().unwrap() + explored_points, erin["max_score"].as_f64().unwrap());
}

/// `check` says when it cannot explore, and lets the other tests judge.
#[test]
fn check_notes_code_it_cannot_explore_and_still_passes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib.rs");
    std::fs::write(&lib, correct_but_unexplorable()).unwrap();
    let output = xtask().args(["check", "02", "--source"]).arg(&lib).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("schedule exploration skipped: wait_group does not build on shuttle"), "{stdout}");
    assert!(!stdout.contains("explored_"), "{stdout}");
}
