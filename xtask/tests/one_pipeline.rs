//! `check` and `grade` judge through one pipeline (`engine::judge`), so the
//! same sources get the same verdicts from both: the same tests, by name,
//! in the same tiers, with the same statuses and categories on their first
//! run.
//!
//! On a copy of the real course holding exercise 04 alone (so the grading
//! suite builds one exercise, not thirteen), with confirmation runs turned
//! off in its `info.toml` (so that what `grade` reports is each test's first
//! run), judged against a mutant whose every verdict is deterministic:
//! `add` ignores its amount, which no schedule changes, and which fails
//! tests of both tiers, the ordinary and the explored.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use support::{assert_succeeded, copy_tree, course_root, json_lines};

const MUTANT: &str = "tests/04_counter/mutants/add_ignores_its_amount.rs";

/// The real course with exercise 04 alone and no confirmation runs.
fn course_of_exercise_04(root: &Path) {
    let real = course_root();
    std::fs::create_dir_all(root).unwrap();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(real.join(file), root.join(file)).unwrap();
    }
    for dir in ["exercises/04_counter", "tests/04_counter", "tests/testkit", "tests/protocol", "tests/crossbeam-model"]
    {
        if real.join(dir).is_dir() {
            copy_tree(&real.join(dir), &root.join(dir));
        }
    }
    std::fs::copy(real.join("tests/categories.toml"), root.join("tests/categories.toml")).unwrap();
    let mut info: toml::Table = std::fs::read_to_string(real.join("exercises/info.toml")).unwrap().parse().unwrap();
    info["exercise"].as_array_mut().unwrap().retain(|e| e["dir"].as_str() == Some("04_counter"));
    let defaults = info["defaults"].as_table_mut().unwrap();
    // No confirmation runs: a miss chance of 1 needs none.
    defaults.insert("confirm_miss_chance".into(), 1.0.into());
    std::fs::write(root.join("exercises/info.toml"), toml::to_string(&info).unwrap()).unwrap();
}

fn xtask(root: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("xtask").unwrap();
    cmd.arg("--root").arg(root);
    // The real course's build cache: its dependencies are already compiled.
    cmd.env("THREADWORK_TARGET_DIR", course_root().join("target/threadwork/target"));
    cmd
}

/// Per test: (status, category).
type Verdicts = BTreeMap<String, (String, Option<String>)>;

#[test]
fn a_mutant_checked_and_the_same_file_graded_get_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("course");
    course_of_exercise_04(&root);
    let mutant = course_root().join(MUTANT);

    let checked =
        xtask(&root).args(["check", "counter", "--format", "json", "--source"]).arg(&mutant).output().unwrap();
    assert_eq!(checked.status.code(), Some(1), "check fails the mutant");
    let checked: Verdicts = json_lines(&checked.stdout)
        .iter()
        .filter(|l| l["type"] == "test")
        .map(|l| {
            let category = l["category"].as_str().map(str::to_string);
            (l["name"].as_str().unwrap().to_string(), (l["status"].as_str().unwrap().to_string(), category))
        })
        .collect();

    let submission = dir.path().join("batch/learner");
    let src = submission.join("exercises/04_counter/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(&mutant, src.join("lib.rs")).unwrap();
    let out = dir.path().join("out");
    let graded = xtask(&root).arg("grade").arg(dir.path().join("batch")).arg("--out").arg(&out).output().unwrap();
    assert_succeeded(&graded, "grade");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let exercise = &report["submissions"][0]["exercises"][0];
    assert_eq!(exercise["name"], "counter");
    let graded: Verdicts = exercise["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["runs"], 1, "confirmation runs are off: {t}");
            let category = t["category"].as_str().map(str::to_string);
            (t["name"].as_str().unwrap().to_string(), (t["status"].as_str().unwrap().to_string(), category))
        })
        .collect();

    assert_eq!(checked, graded, "check and grade disagree on the same sources");
    // The comparison means something: both tiers ran, the mutant failed
    // tests of each, and each failure named its mistake.
    let failed: Vec<&String> = checked.iter().filter(|(_, (status, _))| status != "passed").map(|(n, _)| n).collect();
    let explored = std::fs::read_to_string(course_root().join("tests/04_counter/explore.rs")).unwrap();
    assert!(failed.iter().any(|n| explored.contains(&format!("fn {n}("))), "an explored test failed: {failed:?}");
    assert!(failed.iter().any(|n| !explored.contains(&format!("fn {n}("))), "an ordinary test failed: {failed:?}");
    assert!(checked.values().any(|(status, _)| status == "passed"), "some tests pass: {checked:?}");
    assert!(checked.values().filter(|(status, _)| status != "passed").all(|(_, c)| c.is_some()), "{checked:?}");
    assert!(checked.values().any(|(_, c)| c.as_deref() == Some("wrong_result")), "{checked:?}");
}
