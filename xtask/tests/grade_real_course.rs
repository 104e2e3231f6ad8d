//! A batch of the real course: one submission of every reference
//! solution, one of the untouched stubs, and one per mutant (the mutant in
//! its exercise and nothing else submitted), graded twice. The mutant's
//! exercise must score below its maximum.
//!
//! It builds about 280 variants and runs their hidden tests, so it is
//! ignored by default; run it with
//! `cargo test -p xtask --test grade_real_course -- --ignored --nocapture`.
//! Each round's `grades.csv` is kept as
//! `target/threadwork/grade_real_course/<unix time>-<round>.csv`, so that
//! runs of the test can be compared with one another too (`cmp`).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

fn copy_rs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_rs(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
#[ignore = "grades the solutions, the stubs and 143 mutants, twice: an hour or more on 2 cores"]
fn solutions_get_full_marks_stubs_zero_and_every_mutant_less() {
    let root = support::course_root();
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    let dirs: Vec<String> = {
        let mut d: Vec<String> = std::fs::read_dir(root.join("solutions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        d.sort();
        d
    };
    let solutions = |sub: &Path| {
        for d in &dirs {
            copy_rs(&root.join("solutions").join(d).join("src"), &sub.join("exercises").join(d).join("src"));
        }
    };
    solutions(&batch.join("solutions"));
    for d in &dirs {
        copy_rs(&root.join("exercises").join(d).join("src"), &batch.join("stubs/exercises").join(d).join("src"));
    }
    let mut mutants = BTreeMap::new();
    for d in &dirs {
        let Ok(entries) = std::fs::read_dir(root.join("tests").join(d).join("mutants")) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let id = format!("mutant-{}-{stem}", &d[..2]);
            let src = batch.join(&id).join("exercises").join(d).join("src");
            std::fs::create_dir_all(&src).unwrap();
            std::fs::copy(&path, src.join("lib.rs")).unwrap();
            mutants.insert(id, d.clone());
        }
    }

    let mut csvs = Vec::new();
    for round in ["first", "second"] {
        let out = tmp.path().join(round);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("--root")
            .arg(&root)
            .arg("grade")
            .arg(&batch)
            .arg("--out")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
        for s in report["submissions"].as_array().unwrap() {
            let id = s["id"].as_str().unwrap();
            assert_eq!(s["status"], "graded", "{id}");
            let (score, max) = (s["score"].as_f64().unwrap(), s["max_score"].as_f64().unwrap());
            match id {
                "solutions" => assert_eq!(score, max, "the solutions lost points: {s}"),
                "stubs" => assert_eq!(score, 0.0),
                _ => {
                    assert!(score < max, "{id} got full marks");
                    let dir = &mutants[id];
                    let ex = s["exercises"].as_array().unwrap().iter().find(|e| e["status"] != "not_submitted");
                    let ex = ex.unwrap_or_else(|| panic!("{id}: its exercise {dir} counted as not submitted"));
                    assert!(
                        ex["score"].as_f64().unwrap() < ex["max_score"].as_f64().unwrap(),
                        "{id} lost no point in its own exercise: {ex}"
                    );
                }
            }
        }
        let csv = std::fs::read_to_string(out.join("grades.csv")).unwrap();
        let kept = root.join("target/threadwork/grade_real_course");
        std::fs::create_dir_all(&kept).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        std::fs::write(kept.join(format!("{now}-{round}.csv")), &csv).unwrap();
        csvs.push(csv);
    }
    assert_eq!(csvs[0], csvs[1], "the same batch graded twice gave different grades");
}
