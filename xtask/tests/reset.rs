//! `reset` restores the stub from the clone's own git history.

mod support;

use predicates::prelude::*;
use std::process::Command;
use support::FixtureCourse;

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn reset_restores_the_stub_even_after_the_learner_committed() {
    let course = FixtureCourse::new();
    let root = course.path();
    let lib = root.join("exercises/03_good/src/lib.rs");
    let stub = std::fs::read_to_string(&lib).unwrap();
    let blob = git(root, &["hash-object", "exercises/03_good/src/lib.rs"]);
    let info = root.join("exercises/info.toml");
    let mut table: toml::Table = std::fs::read_to_string(&info).unwrap().parse().unwrap();
    let good = table["exercise"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["name"].as_str() == Some("good"))
        .unwrap()
        .as_table_mut()
        .unwrap();
    let mut stub_ids = toml::Table::new();
    stub_ids.insert("src/lib.rs".into(), blob.into());
    good.insert("stub".into(), stub_ids.into());
    std::fs::write(&info, toml::to_string(&table).unwrap()).unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course"]);
    std::fs::write(&lib, "pub fn double(x: u32) -> u32 { x + x }\n").unwrap();
    git(root, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "my work"]);

    // Nobody at a terminal to confirm: refuse, change nothing.
    course.xtask().args(["reset", "good"]).assert().code(2).stderr(predicate::str::contains("--yes"));
    assert_ne!(std::fs::read_to_string(&lib).unwrap(), stub);

    course.xtask().args(["reset", "good", "--yes"]).assert().code(0);
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), stub);
}

#[test]
fn reset_without_a_recorded_stub_says_so() {
    let course = FixtureCourse::new();
    course
        .xtask()
        .args(["reset", "mixed", "--yes"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("records no stub"));
}
