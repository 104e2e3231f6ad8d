//! The runner judged on a fixture course whose exercises misbehave in every
//! way learner code can: each gets the right verdict and costs only itself.

mod support;

use std::path::Path;

use predicates::prelude::*;
use support::{FixtureCourse, json_lines, test_line};

#[test]
fn every_misbehaviour_gets_its_own_verdict() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "mixed", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "a failing exercise exits 1");
    let lines = json_lines(&output.stdout);

    let status = |name: &str| test_line(&lines, name)["status"].as_str().unwrap().to_string();
    assert_eq!(status("passes"), "passed");
    assert_eq!(status("fails"), "failed");
    assert_eq!(status("hangs"), "timed_out");
    assert_eq!(status("panics_in_learner_code"), "failed");
    assert_eq!(status("reaches_todo"), "failed");
    assert_eq!(status("aborts"), "crashed");
    assert_eq!(status("exits_zero_early"), "crashed", "exit(0) before the body returned is no pass");
    assert_eq!(status("forges_a_passing_summary"), "crashed", "a fake libtest summary is no pass");
    assert_eq!(status("prints_megabytes"), "passed", "a flood of output costs nothing but bytes");

    // What kind of mistake: as the test declared it, else as the runner saw it.
    let category = |name: &str| test_line(&lines, name)["category"].clone();
    assert_eq!(category("passes"), serde_json::Value::Null, "a pass names no mistake");
    assert_eq!(category("fails"), "lost_update", "the test's own declaration");
    assert_eq!(category("hangs"), "timeout");
    assert_eq!(category("panics_in_learner_code"), "panic");
    assert_eq!(category("reaches_todo"), "panic");
    assert_eq!(category("aborts"), "panic", "a crash is a panic gone too far");
    assert_eq!(category("exits_zero_early"), "panic");

    let message = |name: &str| test_line(&lines, name)["message"].as_str().unwrap().to_string();
    assert!(message("fails").contains("two and two"), "the test's own explanation reaches the learner");
    assert!(message("panics_in_learner_code").contains("exercises/01_mixed/src/lib.rs"));
    assert!(message("panics_in_learner_code").contains("boom from the learner"));
    assert!(message("reaches_todo").contains("todo!()"));
    let rethrown = message("reaches_todo_on_another_thread");
    assert!(
        rethrown.contains("todo!()") && rethrown.contains("exercises/01_mixed/src/lib.rs"),
        "a todo!() re-raised from a helper thread still names the learner's line: {rethrown}"
    );
    assert!(message("exits_zero_early").contains("std::process::exit"));
    assert!(message("aborts").contains("abort"));

    let hang_ms = test_line(&lines, "hangs")["duration_ms"].as_u64().unwrap();
    assert!(hang_ms >= 2000, "the hang was stopped at its 2 s timeout, not before ({hang_ms} ms)");
    assert!(hang_ms < 12_000, "the hang was stopped soon after its 2 s timeout ({hang_ms} ms)");
    assert!(test_line(&lines, "prints_megabytes")["output_bytes"].as_u64().unwrap() >= 16 * 1024 * 1024);
    assert_eq!(test_line(&lines, "fails")["weight"], 3.0, "weights come from info.toml");

    let exercise = lines.iter().find(|l| l["type"] == "exercise").unwrap();
    assert_eq!(exercise["status"], "failed");
    assert_eq!(exercise["passed"], 3, "passes, prints_megabytes and phones_home (see sandbox.rs)");
    assert_eq!(exercise["total"], 15);
}

/// A lock-order deadlock reads as the threads involved, each blocked in
/// `lock()` at the learner's line, whether the test timed out or saw it.
#[test]
fn a_deadlock_shows_where_each_thread_is_blocked() {
    if !Path::new("/usr/bin/gdb").exists()
        && !std::env::split_paths(&std::env::var_os("PATH").unwrap()).any(|d| d.join("gdb").exists())
    {
        panic!("this test needs gdb (apt-get install gdb); .ci/run installs it");
    }
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "mixed", "--format", "json"]).output().unwrap();
    let lines = json_lines(&output.stdout);
    let lib = course.path().join("exercises/01_mixed/src/lib.rs");
    let source = std::fs::read_to_string(lib).unwrap();
    let line_of = |marker: &str| source.lines().position(|l| l.contains(marker)).unwrap() + 1;
    let (first, second) = (line_of("DEADLOCK-LINE-1"), line_of("DEADLOCK-LINE-2"));
    for (test, category) in [("deadlocks", "timeout"), ("sees_a_deadlock_itself", "deadlock")] {
        let line = test_line(&lines, test);
        assert_eq!(line["category"], category, "{line:#}");
        let message = line["message"].as_str().unwrap();
        assert!(message.contains("Where each thread of your code was:"), "{test}: {message}");
        for at in [first, second] {
            let blocked = format!("blocked in Mutex::lock at exercises/01_mixed/src/lib.rs:{at}");
            assert_eq!(
                message.matches(&blocked).count(),
                1,
                "{test}: one thread is blocked at line {at}, the other at the other line: {message}"
            );
        }
    }
}

#[test]
fn github_format_annotates_the_learners_lines() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "mixed", "broken", "--format", "github"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let annotation = |test: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with("::error ") && l.contains(&format!("title=mixed%3A {test} [")))
            .unwrap_or_else(|| panic!("no annotation for {test}:\n{stdout}"))
            .to_string()
    };
    assert!(
        annotation("panics_in_learner_code").starts_with(
            "::error file=exercises/01_mixed/src/lib.rs,line=15,title=mixed%3A panics_in_learner_code [Panic]::your \
             code panicked at exercises/01_mixed/src/lib.rs:15:5: boom from the learner%0A%0APanic: The fixture's words"
        ),
        "{stdout}"
    );
    // A deadlock points at the first of the learner's lines its stacks show.
    assert!(
        annotation("sees_a_deadlock_itself").starts_with("::error file=exercises/01_mixed/src/lib.rs,line="),
        "{stdout}"
    );
    // A failure seen in the test's own code points at the learner's lib.rs.
    assert!(annotation("fails").starts_with("::error file=exercises/01_mixed/src/lib.rs,title="), "{stdout}");
    assert!(!stdout.lines().any(|l| l.contains("title=mixed%3A passes")), "a pass is no annotation");
    let broken = stdout.lines().find(|l| l.contains("title=broken does not compile")).expect("the compile error");
    assert!(broken.starts_with("::error file=exercises/02_broken/src/lib.rs,line="), "{broken}");
    assert!(stdout.lines().all(|l| l.starts_with("::error ") || l.starts_with("Progress: ")), "{stdout}");
}

#[test]
fn a_compile_error_shows_the_compiler_and_costs_only_its_exercise() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "broken", "good", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output.stdout);
    let exercises: Vec<_> = lines.iter().filter(|l| l["type"] == "exercise").collect();
    assert_eq!(exercises[0]["name"], "broken");
    assert_eq!(exercises[0]["status"], "compile_error");
    let compiler = exercises[0]["compiler_output"].as_str().unwrap();
    assert!(compiler.contains("error[E0308]"), "the compiler's own message is shown: {compiler}");
    assert!(compiler.contains("exercises/02_broken/src/lib.rs"), "paths are relative to the course: {compiler}");
    assert_eq!(exercises[1]["name"], "good");
    assert_eq!(exercises[1]["status"], "passed");
}

/// `check` refuses what `grade` refuses, in the same words, so nobody
/// learns it from their grade.
#[test]
fn sources_that_read_outside_their_src_are_not_built_and_check_says_where() {
    let course = FixtureCourse::new();
    std::fs::write(
        course.path().join("exercises/04_halve/src/lib.rs"),
        "pub fn halve(x: u32) -> u32 {\n    let answer = include_str!(\"../../../solutions/04_halve/src/lib.rs\");\n    if answer.contains(\"x / 2\") { x / 2 } else { 0 }\n}\n",
    )
    .unwrap();
    let output = course.xtask().args(["check", "halve"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("✗ halve does not compile"), "{stdout}");
    assert!(
        stdout.contains(
            "include_str! may only read files inside your exercise's src/ folder; \
             `../../../solutions/04_halve/src/lib.rs` at src/lib.rs:2 reaches outside it."
        ),
        "{stdout}"
    );
    assert!(stdout.contains("The grader does not build code"), "{stdout}");
    assert!(!stdout.contains("public API"), "the hint for rustc's errors does not apply: {stdout}");

    let output = course.xtask().args(["check", "halve", "--format", "json"]).output().unwrap();
    let lines = json_lines(&output.stdout);
    let exercise = lines.iter().find(|l| l["type"] == "exercise").unwrap();
    assert_eq!(exercise["status"], "compile_error");
    assert!(exercise["compiler_output"].as_str().unwrap().contains("at src/lib.rs:2 reaches outside it"));
}

#[test]
fn passing_exercises_exit_zero_and_say_so_without_escape_codes_when_piped() {
    let course = FixtureCourse::new();
    course
        .xtask()
        .args(["check", "good"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ good passes"))
        .stdout(predicate::str::contains("\x1b[").not());
}

/// `cargo test` relinks `target/debug/xtask` with dev-dependency features
/// while `cargo xtask selftest` is running from it: the running program's
/// file is then gone, and it must still start its supervisor for each test.
#[test]
fn tests_still_run_after_the_xtask_binary_is_replaced_on_disk() {
    use std::os::fd::AsRawFd;
    let course = FixtureCourse::new();
    let copy = course.path().join("xtask-copy");
    std::fs::copy(assert_cmd::cargo::cargo_bin("xtask"), &copy).unwrap();
    let open = std::fs::File::open(&copy).unwrap();
    std::fs::remove_file(&copy).unwrap();
    // Started through its open file, the program's own path names a deleted file.
    let template = course.xtask();
    let mut command = std::process::Command::new(format!("/proc/self/fd/{}", open.as_raw_fd()));
    command.args(template.get_args());
    for (key, value) in template.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let output = command.args(["check", "good"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("✓ good passes"), "{stdout}");
}

#[test]
fn no_color_turns_escape_codes_off_and_stub_failures_read_as_such() {
    let course = FixtureCourse::new();
    course
        .xtask()
        .env("NO_COLOR", "1")
        .args(["check", "mixed"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("reached `todo!()` at exercises/01_mixed/src/lib.rs"))
        // One screen: the first failure whole, with its kind of mistake
        // explained and the lesson to reread, then the others a line each.
        // A category the catalogue lacks is shown by its name.
        .stdout(predicate::str::contains("  ✗ hangs (timed out) [timeout]\n"))
        .stdout(predicate::str::contains("First failure: fails [Lost update]\n    assertion `left == right` failed: the explanation a learner reads: two and two"))
        .stdout(predicate::str::contains("Lost update: The fixture's words for a lost update. Make the update one step.").count(1))
        .stdout(predicate::str::contains("Reread exercises/04_halve/README.md, section “Halving”."))
        .stdout(predicate::str::contains("Also failing (11):"))
        .stdout(predicate::str::contains(
            "  ✗ panics_in_learner_code [Panic]: your code panicked at exercises/01_mixed/src/lib.rs:15:5: boom from the learner\n",
        ))
        .stdout(predicate::str::contains("The fixture's words for a panic").not())
        .stdout(predicate::str::contains("✗ mixed: 3 of 15 hidden tests pass"))
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn a_broken_rule_of_construction_is_a_failed_check_with_the_place_not_a_compile_error() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "good", "--format", "json"]).output().unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(test_line(&lines, "rule_no_vec")["status"], "passed", "the rule holds for the original");
    assert_eq!(output.status.code(), Some(0));

    let lib = course.path().join("exercises/03_good/src/lib.rs");
    std::fs::write(
        &lib,
        "// a Vec in a comment is fine\npub fn double(x: u32) -> u32 {\n    let v: Vec<u32> = vec![x, x];\n    v.iter().sum()\n}\n",
    )
    .unwrap();
    let output = course.xtask().args(["check", "good", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "a broken rule fails the exercise");
    let lines = json_lines(&output.stdout);
    assert_eq!(test_line(&lines, "doubles")["status"], "passed", "the code itself still works");
    let rule = test_line(&lines, "rule_no_vec");
    assert_eq!(rule["status"], "failed");
    assert_eq!(rule["category"], "forbidden_construct");
    let message = rule["message"].as_str().unwrap();
    assert!(message.starts_with("Doubling needs no heap"), "{message}");
    assert!(message.contains("found `Vec` at exercises/03_good/src/lib.rs:3:12"), "{message}");
    assert!(message.contains("found `vec` at exercises/03_good/src/lib.rs:3:23"), "{message}");
}

#[test]
fn with_no_exercise_named_it_walks_in_order_and_stops_at_the_first_failure() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output.stdout);
    let checked: Vec<_> = lines.iter().filter(|l| l["type"] == "exercise").map(|l| l["name"].clone()).collect();
    assert_eq!(checked, ["mixed"], "stops at the first failing exercise, like rustlings");
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["passed_exercises"], 0);
    assert_eq!(summary["total_exercises"], 4);
    assert_eq!(summary["next"], "mixed");
}

#[test]
fn a_remembered_pass_is_not_rerun_until_its_sources_change() {
    let course = FixtureCourse::new();
    course.xtask().args(["check", "good"]).assert().code(0);
    let output = course.xtask().args(["check", "--all", "--format", "json"]).output().unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.last().unwrap()["passed_exercises"], 1);
    course.xtask().args(["list"]).assert().code(0).stdout(
        predicate::str::is_match(r"03_good\s+passed\s+3/3").unwrap().and(predicate::str::contains("Progress: 1/4")),
    );
    // An edit makes the remembered pass stale.
    let lib = course.path().join("exercises/03_good/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text + "\n// edited\n").unwrap();
    course.xtask().args(["list"]).assert().stdout(predicate::str::contains("changed since last check"));
}

#[test]
fn exercises_are_found_by_name_folder_or_number_and_unknown_ones_are_usage_errors() {
    let course = FixtureCourse::new();
    for key in ["good", "03_good", "3", "exercises/03_good/"] {
        course.xtask().args(["hint", key]).assert().code(0).stdout(predicate::str::contains("Hints for 03 good"));
    }
    course.xtask().args(["check", "nonesuch"]).assert().code(2).stderr(
        predicate::str::contains("no exercise named `nonesuch`").and(predicate::str::contains("mixed, broken, good")),
    );
}

#[test]
fn hint_prints_every_hint_in_order() {
    let course = FixtureCourse::new();
    course
        .xtask()
        .args(["hint", "mixed"])
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"(?s)1\. the first hint.*2\. the second hint").unwrap());
}

#[test]
fn help_lists_every_task_and_a_bare_call_shows_it() {
    let course = FixtureCourse::new();
    let help = course.xtask().arg("--help").assert().code(0);
    let text = String::from_utf8(help.get_output().stdout.clone()).unwrap();
    for task in ["check", "list", "hint", "reset", "watch"] {
        assert!(text.contains(task), "--help names `{task}`: {text}");
    }
    course.xtask().assert().code(2).stderr(predicate::str::contains("check"));
}

/// `--test` runs only the tests it names, and an unknown name is a usage
/// error that lists the exercise's tests.
#[test]
fn test_option_runs_only_the_named_tests() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["check", "mixed", "--format", "json", "--test", "passes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = json_lines(&output.stdout);
    let tests: Vec<&str> = lines.iter().filter(|l| l["type"] == "test").map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(tests, ["passes"]);

    let output = course.xtask().args(["check", "mixed", "--test", "no_such_test"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no hidden test named `no_such_test`") && stderr.contains("  passes\n"), "{stderr}");

    let output = course.xtask().args(["check", "--test", "passes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "--test needs one exercise: {output:?}");
}
