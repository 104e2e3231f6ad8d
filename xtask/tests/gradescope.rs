//! The Gradescope bundle, end to end: `gradescope-bundle` makes
//! the zip; it is unpacked into a fake `/autograder` tree (AUTOGRADER_ROOT);
//! its `setup.sh` runs with a cargo home that holds nothing but what its one
//! `cargo fetch` brings; then `run_autograder` grades a solution submission
//! (full marks) and a stub submission (zero) with the network turned off
//! (a network namespace of its own where the machine allows one, and
//! CARGO_NET_OFFLINE in any case), and `check --offline` judges an exercise
//! there too. Each results.json is checked against Gradescope's field names.
//!
//! The cargo home and the two target folders are kept under
//! `target/threadwork/gradescope-test/`, so only the first run builds every
//! dependency (a few minutes on two cores); later runs rebuild what changed.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::{copy_tree, course_root};

/// Gradescope's "Autograder Specifications", output format: the fields it
/// reads at the top level and in each test.
const TOP_FIELDS: &[&str] = &[
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
];
const TEST_FIELDS: &[&str] = &[
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
];
const VISIBILITIES: &[&str] = &["hidden", "after_due_date", "after_published", "visible"];

/// The test whose visibility the test sets in the bundle's metadata.
const HIDDEN_UNTIL_DUE: (&str, &str) = ("send_all", "all_calls_run_at_the_same_time");

struct Env {
    cargo_home: PathBuf,
    cargo_target: PathBuf,
    threadwork_target: PathBuf,
    /// `unshare -n` where this machine lets the test make a network
    /// namespace (root, or user namespaces), so nothing can reach the network.
    no_network: Option<Vec<String>>,
}

impl Env {
    fn new() -> Env {
        let base = course_root().join("target/threadwork/gradescope-test");
        let no_network = Command::new("unshare")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success())
            .then(|| vec!["unshare".to_string(), "-n".to_string()]);
        // Only the fetch fills this cargo home; a registry mirror or proxy
        // set in the usual one still applies.
        let cargo_home = base.join("cargo-home");
        std::fs::create_dir_all(&cargo_home).unwrap();
        let usual = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"));
        for config in ["config.toml", "config"] {
            if usual.join(config).is_file() {
                std::fs::copy(usual.join(config), cargo_home.join(config)).unwrap();
            }
        }
        Env {
            cargo_home,
            cargo_target: base.join("target"),
            threadwork_target: base.join("threadwork-target"),
            no_network,
        }
    }

    fn command(&self, program: &str, offline: bool) -> Command {
        let mut cmd = match (&self.no_network, offline) {
            (Some(prefix), true) => {
                let mut cmd = Command::new(&prefix[0]);
                cmd.args(&prefix[1..]).arg(program);
                cmd
            }
            _ => Command::new(program),
        };
        cmd.env("CARGO_HOME", &self.cargo_home)
            .env("CARGO_TARGET_DIR", &self.cargo_target)
            .env("THREADWORK_TARGET_DIR", &self.threadwork_target)
            .env_remove("THREADWORK_ROOT")
            .env_remove("CARGO_NET_OFFLINE");
        cmd
    }
}

fn run(mut cmd: Command, what: &str) -> std::process::Output {
    let started = Instant::now();
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    eprintln!("{what}: {} in {:.1} s", output.status, started.elapsed().as_secs_f64());
    support::assert_succeeded(&output, what);
    output
}

fn unzip(zip_path: &Path, into: &Path) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let rel = entry.enclosed_name().expect("a safe name");
        let path = into.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut file = std::fs::File::create(&path).unwrap();
        std::io::copy(&mut entry, &mut file).unwrap();
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o777)).unwrap();
        }
        names.push(entry.name().unwrap().to_string());
    }
    names
}

/// A learner's checkout holding, for every exercise, `src/` from `from`
/// (`solutions` or `exercises`).
fn submission(dir: &Path, from: &str) {
    let _ = std::fs::remove_dir_all(dir);
    let info: toml::Table =
        std::fs::read_to_string(course_root().join("exercises/info.toml")).unwrap().parse().unwrap();
    for ex in info["exercise"].as_array().unwrap() {
        let ex_dir = ex["dir"].as_str().unwrap();
        copy_tree(&course_root().join(from).join(ex_dir).join("src"), &dir.join("exercises").join(ex_dir).join("src"));
    }
}

/// Checks `results` against Gradescope's format and returns it.
fn gradescope_results(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no {}: {e}", path.display()));
    let results: Value = serde_json::from_str(&text).expect("results.json is JSON");
    let top = results.as_object().expect("an object");
    for key in top.keys() {
        assert!(TOP_FIELDS.contains(&key.as_str()), "{key} is not a field of Gradescope's results.json");
    }
    assert!(results["score"].is_number(), "score");
    for test in results["tests"].as_array().expect("tests") {
        for key in test.as_object().expect("a test is an object").keys() {
            assert!(TEST_FIELDS.contains(&key.as_str()), "{key} is not a field of a Gradescope test");
        }
        assert!(test["name"].is_string() && test["score"].is_number() && test["max_score"].is_number(), "{test}");
        assert!(matches!(test["status"].as_str(), Some("passed" | "failed")), "{test}");
        assert!(VISIBILITIES.contains(&test["visibility"].as_str().unwrap_or("")), "{test}");
    }
    results
}

#[test]
fn the_bundle_sets_up_from_one_fetch_and_grades_offline_in_gradescope_s_format() {
    let env = Env::new();
    eprintln!(
        "network during grading: {}",
        if env.no_network.is_some() { "none (own network namespace)" } else { "CARGO_NET_OFFLINE only" }
    );
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("autograder.zip");
    let mut bundle = Command::new(env!("CARGO_BIN_EXE_xtask"));
    bundle.arg("--root").arg(course_root()).arg("gradescope-bundle").arg("--out").arg(&zip_path);
    run(bundle, "gradescope-bundle");

    // Unpacked where Gradescope puts it; run_autograder copied beside it.
    let root = tmp.path().join("autograder");
    let source = root.join("source");
    let names = unzip(&zip_path, &source);
    for needed in [
        "setup.sh",
        "run_autograder",
        "toolchain",
        "time-budget",
        "Cargo.lock",
        "exercises/info.toml",
        "deploy/prepare.sh",
    ] {
        assert!(names.iter().any(|n| n == needed), "the bundle lacks {needed}");
    }
    for name in &names {
        assert!(!name.starts_with("solutions/") && !name.contains("/mutants/"), "the bundle gives away {name}");
    }
    std::fs::copy(source.join("run_autograder"), root.join("run_autograder")).unwrap();

    // The metadata decides each test's visibility.
    let info_path = source.join("exercises/info.toml");
    let mut info: toml::Table = std::fs::read_to_string(&info_path).unwrap().parse().unwrap();
    let (ex_name, test_name) = HIDDEN_UNTIL_DUE;
    let ex = info["exercise"].as_array_mut().unwrap().iter_mut().find(|e| e["name"].as_str() == Some(ex_name)).unwrap();
    let tests = ex.as_table_mut().unwrap().entry("tests").or_insert_with(|| toml::Table::new().into());
    let test = tests.as_table_mut().unwrap().entry(test_name).or_insert_with(|| toml::Table::new().into());
    test.as_table_mut().unwrap().insert("visibility".into(), "after_due_date".into());
    std::fs::write(&info_path, toml::to_string(&info).unwrap()).unwrap();

    // setup.sh: the toolchain is here, so it fetches and builds.
    let mut setup = env.command("bash", false);
    setup.arg(source.join("setup.sh"));
    run(setup, "setup.sh");

    // A solution submission: full marks.
    submission(&root.join("submission"), "solutions");
    let mut grade = env.command(root.join("run_autograder").to_str().unwrap(), true);
    grade.env("AUTOGRADER_ROOT", &root);
    run(grade, "run_autograder on the solutions");
    let results = gradescope_results(&root.join("results/results.json"));
    let max = results["extra_data"]["max_score"].as_f64().expect("extra_data.max_score");
    assert!(max > 0.0);
    assert_eq!(results["score"].as_f64(), Some(max), "the solutions earn full marks");
    let tests = results["tests"].as_array().unwrap();
    let sum: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert!((sum - max).abs() < 1e-9, "the tests' max_score add up to the maximum");
    for t in tests {
        assert_eq!(t["status"], "passed", "{t}");
    }
    let hidden = tests.iter().find(|t| t["name"] == format!("{ex_name}::{test_name}")).expect("the test is listed");
    assert_eq!(hidden["visibility"], "after_due_date");
    assert!(tests.iter().filter(|t| t["name"] != hidden["name"]).all(|t| t["visibility"] == "visible"));

    // A stub submission: zero, one line per exercise saying so.
    submission(&root.join("submission"), "exercises");
    std::fs::remove_file(root.join("results/results.json")).unwrap();
    let mut grade = env.command(root.join("run_autograder").to_str().unwrap(), true);
    grade.env("AUTOGRADER_ROOT", &root);
    run(grade, "run_autograder on the stubs");
    let results = gradescope_results(&root.join("results/results.json"));
    assert_eq!(results["score"].as_f64(), Some(0.0), "the stubs earn nothing");
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), info["exercise"].as_array().unwrap().len());
    assert!(tests.iter().all(|t| t["name"].as_str().unwrap().ends_with("(not submitted)") && t["status"] == "failed"));

    // check, offline, in the same tree.
    let mut check = env.command("cargo", true);
    check
        .current_dir(&source)
        .env("CARGO_NET_OFFLINE", "true")
        .args(["--offline", "xtask", "check", "send_all", "--source"])
        .arg(course_root().join("solutions/01_send_all"));
    run(check, "check --offline");
}
