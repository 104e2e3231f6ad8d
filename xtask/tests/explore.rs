//! The schedule-exploration tier on the real course (exercise 02): the
//! reference solution passes it, a lost-wakeup WaitGroup whose window is a
//! few instructions wide fails it the same way on every run, and the
//! command its failure prints replays that failure.

mod support;

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
