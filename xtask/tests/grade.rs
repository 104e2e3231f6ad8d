//! `grade` and `merge` on the fixture course (its `good` and `halve`
//! exercises): scores, bad archives, a batch killed and resumed, and shards
//! merged: the grader's promises, at a size CI can afford; the
//! same on the real course is `grade_real_course.rs`.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{checkout, grading_course};

const HALVE_SOLUTION: &str = "pub fn halve(x: u32) -> u32 { x / 2 }\n";
const HALVE_ROUNDS_UP: &str = "pub fn halve(x: u32) -> u32 { x.div_ceil(2) }\n";
const GOOD_WITH_VEC: &str = "pub fn double(x: u32) -> u32 { vec![x, x].iter().sum() }\n";
const GOOD_OTHER_STYLE: &str = "pub fn double(x: u32) -> u32 { x + x }\n";

fn zip_of(dir: &Path, zip_path: &Path, prefix: &str) {
    let file = std::fs::File::create(zip_path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    for entry in walk(dir) {
        let rel = entry.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        zip.start_file(format!("{prefix}{rel}"), options).unwrap();
        zip.write_all(&std::fs::read(&entry).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

fn tgz_of(dir: &Path, path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    tar.append_dir_all(".", dir).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A folder of submissions in every container the grader reads.
fn batch(root: &Path) -> PathBuf {
    let batch = root.join("batch");
    std::fs::create_dir_all(&batch).unwrap();
    let work = root.join("work");
    // A correct answer in two styles, as a folder.
    checkout(&batch.join("alice"), &[("04_halve", HALVE_SOLUTION), ("03_good", GOOD_OTHER_STYLE)]);
    // A mutant, as a .tar.gz.
    checkout(&work.join("bob"), &[("04_halve", HALVE_ROUNDS_UP)]);
    tgz_of(&work.join("bob"), &batch.join("bob.tgz"));
    // Breaks a rule, as a .zip with the checkout one folder down.
    checkout(&work.join("carol"), &[("04_halve", HALVE_SOLUTION), ("03_good", GOOD_WITH_VEC)]);
    zip_of(&work.join("carol"), &batch.join("carol.zip"), "threadwork-main/");
    // Nothing changed: the stub of halve and of good.
    checkout(&work.join("dave"), &[]);
    std::fs::create_dir_all(work.join("dave/exercises")).unwrap();
    tgz_of(&work.join("dave"), &batch.join("dave.tar.gz"));
    batch
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn submission<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["submissions"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

fn exercise<'a>(sub: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    sub["exercises"].as_array().unwrap().iter().find(|e| e["name"] == name).unwrap()
}

#[test]
fn a_batch_is_scored_and_reported_and_bad_archives_are_invalid() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = batch(tmp.path());
    std::fs::write(batch.join("truncated.zip"), &std::fs::read(batch.join("carol.zip")).unwrap()[..60]).unwrap();
    {
        let file = std::fs::File::create(batch.join("escaper.zip")).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        zip.start_file("../../exercises/04_halve/src/lib.rs", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(HALVE_SOLUTION.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let out = tmp.path().join("out");
    let output = course.xtask().arg("grade").arg(&batch).arg("--out").arg(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));

    let report = read_json(&out.join("report.json"));
    assert_eq!(report["format_version"], 1);
    assert!(report["suite"]["tests_hash"].as_str().unwrap().len() == 64);
    for key in ["started", "grader_version", "toolchain", "jobs", "sandbox"] {
        assert!(!report["run"][key].is_null(), "run.{key}");
    }

    let alice = submission(&report, "alice");
    assert_eq!(alice["status"], "graded");
    assert_eq!(alice["score"], alice["max_score"], "a correct answer gets full marks: {alice}");
    assert_eq!(exercise(alice, "halve")["status"], "passed");

    let bob = submission(&report, "bob");
    let bob_halve = exercise(bob, "halve");
    assert_eq!(bob_halve["status"], "failed");
    assert!(bob_halve["score"].as_f64().unwrap() < bob_halve["max_score"].as_f64().unwrap());
    let failed = bob_halve["tests"].as_array().unwrap().iter().find(|t| t["name"] == "rounds_odd_down").unwrap();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["score"], 0.0);
    assert_eq!(failed["category"], "wrong_result", "the test declared what its failure means");
    assert!(failed["message"].as_str().unwrap().contains("halving rounds down"), "{failed}");
    assert_eq!(exercise(bob, "good")["status"], "not_submitted");

    let carol = submission(&report, "carol");
    let good = exercise(carol, "good");
    assert_eq!(good["status"], "failed", "the rule against Vec fails it: {good}");
    let rule = good["tests"].as_array().unwrap().iter().find(|t| t["name"] == "rule_no_vec").unwrap();
    assert_eq!(rule["status"], "failed");
    assert_eq!(rule["category"], "forbidden_construct");
    assert_eq!(exercise(carol, "halve")["status"], "passed");

    // The class view: per exercise, how many submissions failed each way,
    // in report.json and charted in a self-contained summary.html.
    let class = report["class"].as_array().unwrap();
    let good_class = class.iter().find(|e| e["name"] == "good").unwrap();
    let failed_as = good_class["failed_as"].as_array().unwrap();
    assert!(
        failed_as.iter().any(|f| f["category"] == "forbidden_construct" && f["submissions"].as_u64() >= Some(1)),
        "{good_class}"
    );
    let html = std::fs::read_to_string(out.join("summary.html")).unwrap();
    assert!(html.contains("<td class=\"kind\">forbidden_construct</td>"), "{html}");

    let dave = submission(&report, "dave");
    assert_eq!(dave["score"], 0.0);
    for ex in dave["exercises"].as_array().unwrap() {
        assert_eq!(ex["status"], "not_submitted");
        assert!(ex["tests"].as_array().unwrap().iter().all(|t| t["status"] == "not_run"));
    }

    for bad in ["truncated", "escaper"] {
        let s = submission(&report, bad);
        assert_eq!(s["status"], "invalid", "{s}");
        assert!(!s["error"].as_str().unwrap_or_default().is_empty(), "{s}");
        assert_eq!(s["score"], 0.0);
    }
    assert!(!tmp.path().join("exercises").exists(), "an escaping entry was written outside");

    let csv = std::fs::read_to_string(out.join("grades.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6, "{csv}");
    assert!(out.join("junit.xml").is_file());
    let gradescope = read_json(&out.join("gradescope/alice/results.json"));
    assert_eq!(gradescope["score"], alice["score"]);
    assert!(gradescope["tests"].as_array().unwrap().iter().all(|t| t["status"] == "passed"));

    // The same batch again, from scratch: the same scores.
    let again = tmp.path().join("again");
    let output = course.xtask().arg("grade").arg(&batch).arg("--out").arg(&again).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(again.join("grades.csv")).unwrap(), csv);
}

#[test]
fn a_batch_killed_midway_regrades_only_what_was_unfinished() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    // `a` is quick; `b` hangs in rounds_odd_down until its 10 s timeout, so
    // the grader is certainly still at work on it when it is killed.
    checkout(&batch.join("a"), &[("04_halve", HALVE_SOLUTION)]);
    let hangs = "pub fn halve(x: u32) -> u32 { while x % 2 == 1 { std::thread::park(); } x / 2 }\n";
    checkout(&batch.join("b"), &[("04_halve", hangs)]);
    checkout(&batch.join("c"), &[("04_halve", HALVE_ROUNDS_UP)]);
    let out = tmp.path().join("out");

    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
    first
        .arg("--root")
        .arg(course.path())
        .env("THREADWORK_TARGET_DIR", support::course_root().join("target/threadwork/target"));
    let mut child = first
        .arg("grade")
        .arg(&batch)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let kept = out.join("results/a.json");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !kept.exists() {
        assert!(Instant::now() < deadline, "the grader never finished a");
        assert!(child.try_wait().unwrap().is_none(), "the grader ended before it was killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let a_before = std::fs::read(&kept).unwrap();
    assert!(!out.join("results/b.json").exists(), "b cannot be finished: it waits for a 10 s timeout");
    assert!(!out.join("report.json").exists());

    let output = course.xtask().arg("grade").arg(&batch).arg("--out").arg(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("graded 3 submissions (1 from earlier runs)"), "{stdout}");
    assert_eq!(std::fs::read(&kept).unwrap(), a_before, "a was not graded again");
    let report = read_json(&out.join("report.json"));
    let b_halve = exercise(submission(&report, "b"), "halve");
    let hung = b_halve["tests"].as_array().unwrap().iter().find(|t| t["name"] == "rounds_odd_down").unwrap();
    assert_eq!(hung["status"], "timed_out");
    assert_eq!(exercise(submission(&report, "a"), "halve")["status"], "passed");
}

#[test]
fn three_shards_merged_give_the_grades_of_one_run() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = batch(tmp.path());
    let whole = tmp.path().join("whole");
    let output = course.xtask().arg("grade").arg(&batch).arg("--out").arg(&whole).output().unwrap();
    assert_eq!(output.status.code(), Some(0));

    let mut shard_dirs = Vec::new();
    for i in 1..=3 {
        let dir = tmp.path().join(format!("shard{i}"));
        let mut cmd = course.xtask();
        cmd.arg("grade").arg(&batch).arg("--out").arg(&dir);
        // One shard takes its index from the environment, as a Kubernetes
        // Indexed Job would give it.
        if i == 2 {
            cmd.args(["--shard-count", "3"]).env("JOB_COMPLETION_INDEX", "1");
        } else {
            cmd.arg("--shard").arg(format!("{i}/3"));
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        shard_dirs.push(dir);
    }
    let merged = tmp.path().join("merged");
    let output = course.xtask().arg("merge").args(&shard_dirs).arg("--out").arg(&merged).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        std::fs::read_to_string(merged.join("grades.csv")).unwrap(),
        std::fs::read_to_string(whole.join("grades.csv")).unwrap()
    );

    // A shard missing from the merge: its submissions are named.
    let partial = tmp.path().join("partial");
    let output = course.xtask().arg("merge").args(&shard_dirs[..2]).arg("--out").arg(&partial).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("graded by no shard"), "{stderr}");
}

#[test]
fn private_tests_are_laid_over_the_hidden_ones() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    checkout(&batch.join("alice"), &[("04_halve", HALVE_SOLUTION)]);
    // Rounds up only above 1000: the hidden tests cannot tell, a private one can.
    let big_only = "pub fn halve(x: u32) -> u32 { if x > 1000 { x.div_ceil(2) } else { x / 2 } }\n";
    checkout(&batch.join("mallory"), &[("04_halve", big_only)]);
    // The overlay replaces main.rs (to declare its module) and adds a file.
    let private = tmp.path().join("private/04_halve");
    std::fs::create_dir_all(&private).unwrap();
    let main = std::fs::read_to_string(course.path().join("tests/04_halve/main.rs")).unwrap();
    let main = main.replace(
        "fn main() {\n    testkit::main(&[TESTS])",
        "mod private;\n\nfn main() {\n    testkit::main(&[TESTS, private::TESTS])",
    );
    assert!(main.contains("private::TESTS"), "the fixture's main.rs changed shape:\n{main}");
    std::fs::write(private.join("main.rs"), main).unwrap();
    std::fs::write(
        private.join("private.rs"),
        "use testkit::prelude::*;\n\nhidden_tests! {\n    fn halves_a_large_odd_number() {\n        assert_eq!(halve::halve(2001), 1000);\n    }\n}\n",
    )
    .unwrap();

    let plain = tmp.path().join("plain");
    let output = course.xtask().arg("grade").arg(&batch).arg("--out").arg(&plain).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let with = tmp.path().join("with");
    let output = course
        .xtask()
        .arg("grade")
        .arg(&batch)
        .arg("--out")
        .arg(&with)
        .arg("--tests")
        .arg(tmp.path().join("private"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));

    let plain = read_json(&plain.join("report.json"));
    let with = read_json(&with.join("report.json"));
    assert_ne!(plain["suite"]["tests_hash"], with["suite"]["tests_hash"], "the overlay is part of the suite");
    assert_eq!(exercise(submission(&plain, "mallory"), "halve")["status"], "passed");
    let mallory = exercise(submission(&with, "mallory"), "halve");
    let private_test =
        mallory["tests"].as_array().unwrap().iter().find(|t| t["name"] == "halves_a_large_odd_number").unwrap();
    assert_eq!(private_test["status"], "failed", "{mallory}");
    let alice = exercise(submission(&with, "alice"), "halve");
    assert_eq!(alice["status"], "passed");
    assert_eq!(alice["tests"].as_array().unwrap().len(), 3, "two hidden tests and the private one: {alice}");
}

/// rustc runs as the grader's user, beside the course's solutions and the
/// other submissions. Code that makes it read a file outside the exercise's
/// own src/ is not built: a compile error saying where, 0 points, and the
/// rest of the batch graded as usual.
#[test]
fn sources_that_read_outside_their_src_are_not_built_and_cost_only_themselves() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    checkout(&batch.join("alice"), &[("04_halve", HALVE_SOLUTION), ("03_good", GOOD_OTHER_STYLE)]);
    // Staged at target/threadwork/grade/staging/mallory/exercises/04_halve/src:
    // eight folders up is the course, and its solution.
    let copies = "pub fn halve(x: u32) -> u32 {\n    let answer = include_str!(\"../../../../../../../../solutions/04_halve/src/lib.rs\");\n    if answer.contains(\"x / 2\") { x / 2 } else { 0 }\n}\n";
    // The generated package is target/threadwork/packages/03_good-grade-N.
    let via_env = "pub fn double(x: u32) -> u32 {\n    let answer = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../../../../solutions/04_halve/src/lib.rs\"));\n    if answer.is_empty() { 0 } else { x + x }\n}\n";
    checkout(&batch.join("mallory"), &[("04_halve", copies), ("03_good", via_env)]);

    let out = tmp.path().join("out");
    let output = course.xtask().arg("grade").arg(&batch).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report = read_json(&out.join("report.json"));

    let mallory = submission(&report, "mallory");
    assert_eq!(mallory["status"], "graded");
    assert_eq!(mallory["score"], 0.0, "{mallory}");
    let halve = exercise(mallory, "halve");
    assert_eq!(halve["status"], "compile_error", "{halve}");
    let said = halve["compiler_output"].as_str().unwrap();
    assert!(
        said.contains(
            "include_str! may only read files inside your exercise's src/ folder; \
             `../../../../../../../../solutions/04_halve/src/lib.rs` at src/lib.rs:2 reaches outside it."
        ),
        "{said}"
    );
    assert!(said.contains("so this exercise was not built"), "{said}");
    for test in halve["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "not_run", "{test}");
        assert_eq!(test["score"], 0.0, "{test}");
        assert!(test["message"].as_str().unwrap().contains("reads files outside its src/"), "{test}");
    }
    let good = exercise(mallory, "good");
    assert_eq!(good["status"], "compile_error", "{good}");
    let said = good["compiler_output"].as_str().unwrap();
    assert!(said.contains("include_str! at src/lib.rs:2 must be given one plain string literal"), "{said}");

    let alice = submission(&report, "alice");
    assert_eq!(alice["score"], alice["max_score"], "{alice}");
    assert_eq!(exercise(alice, "halve")["status"], "passed");
    assert_eq!(exercise(alice, "good")["status"], "passed");

    let gradescope = read_json(&out.join("gradescope/mallory/results.json"));
    let shown = gradescope.to_string();
    assert!(shown.contains("reaches outside it"), "the learner reads why on Gradescope too: {shown}");
}

/// Racy code passes some tests by luck. Once an exercise fails a test, each
/// test that passed is run again (as many times as `confirm_catch_rate` and
/// `confirm_miss_chance` ask: 4 here) and fails at its first failure, so the
/// same code earns the same score every time; an exercise that passes
/// everything is not re-run, nor is a test marked `schedule_free`. `repeat`
/// runs a test that many times for everyone.
#[test]
fn a_failing_exercise_has_its_passing_tests_confirmed_and_repeat_is_kept() {
    let course = grading_course();
    let info = course.path().join("exercises/info.toml");
    let mut table: toml::Table = std::fs::read_to_string(&info).unwrap().parse().unwrap();
    // (1 - 0.5)^4 = 0.0625: four runs.
    let defaults = table["defaults"].as_table_mut().unwrap();
    defaults.insert("confirm_catch_rate".into(), 0.5.into());
    defaults.insert("confirm_miss_chance".into(), 0.0625.into());
    let good =
        table["exercise"].as_array_mut().unwrap().iter_mut().find(|e| e["name"].as_str() == Some("good")).unwrap();
    let repeated: toml::Table = "[doubles]\nrepeat = 3\n".parse().unwrap();
    good.as_table_mut().unwrap().insert("tests".into(), repeated.into());
    std::fs::write(&info, toml::to_string(&table).unwrap()).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    checkout(&batch.join("alice"), &[("04_halve", HALVE_SOLUTION), ("03_good", GOOD_OTHER_STYLE)]);
    // Stands for a race: halves odd numbers right the first time it is
    // run, wrong ever after (a marker file remembers), and even ones never.
    let marker = tmp.path().join("lucky-ran");
    let lucky = format!(
        "pub fn halve(x: u32) -> u32 {{\n    let seen = std::path::Path::new({marker:?});\n    if x % 2 == 0 {{ return x / 2 + 1; }}\n    if seen.exists() {{ x.div_ceil(2) }} else {{ std::fs::write(seen, \"\").unwrap(); x / 2 }}\n}}\n"
    );
    checkout(&batch.join("lucky"), &[("04_halve", &lucky)]);
    // Behaves, but breaks a rule of `good` (no Vec).
    checkout(&batch.join("carol"), &[("03_good", GOOD_WITH_VEC)]);

    let out = tmp.path().join("out");
    // The stand-in for a race keeps its memory in a file outside its
    // scratch folder, which the sandbox's file confinement would refuse.
    let output = course
        .xtask()
        .arg("grade")
        .arg(&batch)
        .arg("--out")
        .arg(&out)
        .env("THREADWORK_SANDBOX_OFF", "landlock")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report = read_json(&out.join("report.json"));
    let runs = |sub: &str, ex: &str, test: &str| -> serde_json::Value {
        let e = exercise(submission(&report, sub), ex);
        e["tests"].as_array().unwrap().iter().find(|t| t["name"] == test).unwrap().clone()
    };

    let odd = runs("lucky", "halve", "rounds_odd_down");
    assert!(marker.exists(), "the lucky answer never ran");
    assert_eq!(odd["status"], "failed", "passed once by luck, then confirmed wrong: {odd}");
    assert_eq!(odd["runs"], 2, "{odd}");
    assert!(odd["message"].as_str().unwrap().contains("failed on run 2"), "{odd}");
    assert_eq!(runs("lucky", "halve", "halves_even")["runs"], 1, "a failure is not run again");
    let established = &exercise(submission(&report, "lucky"), "halve")["established"];
    assert_eq!(established["how"], "confirmed", "{established}");
    assert_eq!(established["runs_wanted"], 4, "{established}");
    assert!(established["summary"].as_str().unwrap().contains("at most 6.25%"), "{established}");
    assert_eq!(
        report["run"]["guarantee"].as_str().unwrap(),
        "a mistake that a test catches in at least 50% of its runs is missed with probability at most 6.25%"
    );

    // Correct code: nothing confirmed, and the repeated test ran 3 times.
    assert_eq!(runs("alice", "halve", "rounds_odd_down")["runs"], 1);
    assert_eq!(runs("alice", "halve", "halves_even")["runs"], 1);
    assert_eq!(runs("alice", "good", "doubles")["runs"], 3);
    assert_eq!(runs("alice", "good", "doubles")["status"], "passed");
    assert_eq!(runs("alice", "good", "doubles_zero")["runs"], 1);
    assert_eq!(exercise(submission(&report, "alice"), "halve")["established"]["how"], "deterministic");

    // A broken rule is read from the source, not a sign of a race: the
    // tests that passed are not run again.
    assert_eq!(runs("carol", "good", "rule_no_vec")["status"], "failed");
    assert_eq!(runs("carol", "good", "doubles_zero")["runs"], 1, "a rule breaker is not confirmed");
    assert_eq!(runs("carol", "good", "doubles")["runs"], 3, "repeat still holds");
}

/// `--time-budget`: every test still runs once, confirmation stops when the
/// time is up, and the reports say which scores were cut short.
#[test]
fn a_time_budget_cuts_confirmation_short_and_every_report_says_so() {
    let course = grading_course();
    let info = course.path().join("exercises/info.toml");
    let mut table: toml::Table = std::fs::read_to_string(&info).unwrap().parse().unwrap();
    // A guarantee that asks for 6905 runs of each passing test: far more
    // than the budget holds.
    let defaults = table["defaults"].as_table_mut().unwrap();
    defaults.insert("confirm_catch_rate".into(), 0.001.into());
    defaults.insert("confirm_miss_chance".into(), 0.001.into());
    std::fs::write(&info, toml::to_string(&table).unwrap()).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    // Fails `halves_even`, passes `rounds_odd_down` every time.
    checkout(
        &batch.join("dana"),
        &[("04_halve", "pub fn halve(x: u32) -> u32 { if x % 2 == 0 { 0 } else { x / 2 } }\n")],
    );
    let out = tmp.path().join("out");
    // Build the suite first, so that the budget is not all spent compiling.
    course.xtask().arg("grade").arg("--prepare").assert().success();
    let dana = batch.join("dana");
    course.xtask().arg("grade").arg(&dana).arg("--out").arg(&out).arg("--time-budget").arg("8s").assert().success();

    let report = read_json(&out.join("report.json"));
    assert_eq!(report["run"]["time_budget_secs"], 8.0);
    let halve = exercise(submission(&report, "dana"), "halve");
    let established = &halve["established"];
    assert_eq!(established["how"], "cut_short", "{established}");
    assert_eq!(established["runs_wanted"], 6905, "{established}");
    assert!(established["runs_least"].as_u64().unwrap() < 6905, "{established}");
    let odd = halve["tests"].as_array().unwrap().iter().find(|t| t["name"] == "rounds_odd_down").unwrap();
    assert_eq!(odd["status"], "passed", "{odd}");
    assert!(odd["runs"].as_u64().unwrap() >= 1, "the first run always happens: {odd}");
    assert_eq!(halve["score"], 1.0, "a cut-short score is still a score");

    let gradescope = read_json(&out.join("gradescope/dana/results.json"));
    let output = gradescope["output"].as_str().unwrap();
    assert!(output.contains("ran out of time before every score was confirmed: halve may rest on luck"), "{output}");

    let usage =
        course.xtask().arg("grade").arg(&batch).arg("--out").arg(&out).arg("--time-budget").arg("soon").assert();
    let stderr = String::from_utf8_lossy(&usage.get_output().stderr).into_owned();
    assert_eq!(usage.get_output().status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`soon` is not a duration"), "{stderr}");
}

/// Graders of one course checkout share its suite folder and build slots,
/// so a second one waits for the first, and says so.
#[test]
fn a_second_grader_of_the_same_checkout_waits_for_the_first() {
    use std::io::BufRead;
    use std::os::fd::AsRawFd;
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    checkout(&batch.join("alice"), &[("04_halve", HALVE_SOLUTION)]);

    // The first grader, as far as the lock can tell.
    let lock_path = course.path().join("target/threadwork/grade/grader.lock");
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).unwrap();
    // SAFETY: plain syscall on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);

    let out = tmp.path().join("out");
    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(course.path())
        .env("THREADWORK_TARGET_DIR", support::course_root().join("target/threadwork/target"))
        .arg("grade")
        .arg(batch.join("alice"))
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = second.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let waiting = loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains("waiting for the other") => break line,
            Ok(_) => continue,
            Err(e) => panic!("the second grader never said it was waiting: {e}"),
        }
    };
    assert!(waiting.contains("one clone of the course for each"), "{waiting}");
    // It waits: nothing graded, and still running, a moment later.
    std::thread::sleep(Duration::from_millis(500));
    assert!(second.try_wait().unwrap().is_none(), "the second grader did not wait");
    assert!(!out.join("results").exists(), "the second grader started while the first held the checkout");

    drop(lock);
    let status = second.wait().unwrap();
    assert!(status.success());
    let report = read_json(&out.join("report.json"));
    assert_eq!(exercise(submission(&report, "alice"), "halve")["status"], "passed");
}
