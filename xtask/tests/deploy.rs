//! The recipes under `deploy/` for the places graders already work: the
//! Kubernetes Indexed Job, the GitHub Actions matrix workflow and the GitHub
//! Classroom workflow. Each must parse, and the scale-out recipes' own
//! commands, run here as three shards and a merge (`cargo xtask` stood in for
//! by the runner on the fixture course), must give the grades of one run.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{checkout, course_root, grading_course};
use yaml_rust2::{Yaml, YamlLoader};

const HALVE_SOLUTION: &str = "pub fn halve(x: u32) -> u32 { x / 2 }\n";
const HALVE_ROUNDS_UP: &str = "pub fn halve(x: u32) -> u32 { x.div_ceil(2) }\n";
const GOOD_WITH_VEC: &str = "pub fn double(x: u32) -> u32 { vec![x, x].iter().sum() }\n";
const GOOD_OTHER_STYLE: &str = "pub fn double(x: u32) -> u32 { x + x }\n";

fn load(rel: &str) -> Vec<Yaml> {
    let path = course_root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

fn str_of<'a>(y: &'a Yaml, what: &str) -> &'a str {
    y.as_str().unwrap_or_else(|| panic!("{what} is not a string: {y:?}"))
}

/// Four submissions, as folders: a correct answer, a wrong one, one that
/// breaks a rule, and an untouched stub.
fn submissions(dir: &Path) {
    checkout(&dir.join("alice"), &[("04_halve", HALVE_SOLUTION), ("03_good", GOOD_OTHER_STYLE)]);
    checkout(&dir.join("bob"), &[("04_halve", HALVE_ROUNDS_UP)]);
    checkout(&dir.join("carol"), &[("04_halve", HALVE_SOLUTION), ("03_good", GOOD_WITH_VEC)]);
    std::fs::create_dir_all(dir.join("dave/exercises")).unwrap();
}

/// A folder holding `cargo`, which runs `cargo xtask ARGS` as the runner on
/// `root` and refuses anything else: the recipes' commands run unchanged.
fn cargo_shim(dir: &Path, root: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = xtask ] || {{ echo \"the recipe ran cargo $*\" >&2; exit 97; }}\nshift\nexec '{}' --root '{}' \"$@\"\n",
        xtask.display(),
        root.display()
    );
    let shim = bin.join("cargo");
    std::fs::write(&shim, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn run_script(shell: &[&str], script: &str, dir: &Path, env: &BTreeMap<String, String>, bin: &Path) {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new(shell[0])
        .args(&shell[1..])
        .arg(script)
        .current_dir(dir)
        .envs(env)
        .env("PATH", path)
        .env("THREADWORK_TARGET_DIR", course_root().join("target/threadwork/target"))
        .env_remove("THREADWORK_ROOT")
        .output()
        .unwrap();
    support::assert_succeeded(&output, &format!("`{script}`"));
}

/// The grades of the whole batch graded in one run.
fn one_run(course: &support::FixtureCourse, batch: &Path, out: &Path) -> String {
    let output = course.xtask().arg("grade").arg(batch).arg("--out").arg(out).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read_to_string(out.join("grades.csv")).unwrap()
}

#[test]
fn the_kubernetes_jobs_run_as_three_shards_and_a_merge_give_the_grades_of_one_run() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    // The pods' volume, mounted at /data.
    let data = tmp.path().join("data");
    submissions(&data.join("submissions"));
    let whole = one_run(&course, &data.join("submissions"), &tmp.path().join("whole"));
    let bin = cargo_shim(tmp.path(), course.path());

    let grade = &load("deploy/kubernetes/grade-job.yaml")[0];
    assert_eq!(str_of(&grade["kind"], "kind"), "Job");
    let spec = &grade["spec"];
    assert_eq!(str_of(&spec["completionMode"], "completionMode"), "Indexed");
    let shards = spec["completions"].as_i64().expect("completions");
    assert_eq!(spec["parallelism"].as_i64(), Some(shards), "every shard's pod runs at once");
    assert_eq!(shards, 3, "the recipe the issue asks for grades in three shards");

    // Runs a Job's container as its pod would: its command and args, its env
    // with the volume's mount point moved to `data`, and `extra` on top.
    let run_container = |job: &Yaml, extra: &[(&str, String)]| {
        let pod = &job["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        let mount = str_of(&container["volumeMounts"][0]["mountPath"], "mountPath");
        let shell: Vec<&str> =
            container["command"].as_vec().expect("command").iter().map(|c| str_of(c, "command")).collect();
        let args = container["args"].as_vec().expect("args");
        assert_eq!(args.len(), 1, "one script");
        let mut env = BTreeMap::new();
        for var in container["env"].as_vec().expect("env") {
            let value = str_of(&var["value"], "env value");
            let value = match value.strip_prefix(mount) {
                Some(rest) => format!("{}{rest}", data.display()),
                None => value.to_string(),
            };
            env.insert(str_of(&var["name"], "env name").to_string(), value);
        }
        for (k, v) in extra {
            env.insert(k.to_string(), v.clone());
        }
        let script = str_of(&args[0], "args");
        run_script(&shell, script, tmp.path(), &env, &bin);
    };
    for index in 0..shards {
        run_container(grade, &[("JOB_COMPLETION_INDEX", index.to_string())]);
    }
    let merge = &load("deploy/kubernetes/merge-job.yaml")[0];
    assert_eq!(str_of(&merge["kind"], "kind"), "Job");
    run_container(merge, &[]);

    let merged = std::fs::read_to_string(data.join("results/merged/grades.csv")).expect("the merge Job's grades.csv");
    assert_eq!(merged, whole);
    assert_eq!(merged.lines().count(), 5, "a header and the four submissions:\n{merged}");
}

#[test]
fn the_actions_matrix_workflow_run_as_three_shards_and_a_merge_gives_the_grades_of_one_run() {
    let course = grading_course();
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    submissions(&batch);
    let whole = one_run(&course, &batch, &tmp.path().join("whole"));
    let bin = cargo_shim(tmp.path(), course.path());

    let workflow = &load("deploy/github-actions/grade-shards.yml")[0];
    let mut env = BTreeMap::new();
    if let Some(vars) = workflow["env"].as_hash() {
        for (k, v) in vars {
            env.insert(str_of(k, "env name").to_string(), str_of(v, "env value").to_string());
        }
    }
    let grade = &workflow["jobs"]["grade"];
    let shards: Vec<i64> = grade["strategy"]["matrix"]["shard"]
        .as_vec()
        .expect("matrix.shard")
        .iter()
        .map(|s| s.as_i64().unwrap())
        .collect();
    assert_eq!(shards, [1, 2, 3]);
    let steps = |job: &Yaml| job["steps"].as_vec().expect("steps").clone();
    let expand = |text: &str, shard: i64| {
        let text = text
            .replace("${{ matrix.shard }}", &shard.to_string())
            .replace("${{ strategy.job-total }}", &shards.len().to_string());
        assert!(!text.contains("${{"), "an expression the test does not stand in for: {text}");
        text
    };
    let uses = |step: &Yaml, action: &str| step["uses"].as_str().is_some_and(|u| u.starts_with(action));

    // Each matrix job: a fresh checkout holding the batch, its grade step,
    // then its upload, into `artifacts/NAME`.
    let artifacts = tmp.path().join("artifacts");
    for &shard in &shards {
        let job_dir = tmp.path().join(format!("job-{shard}"));
        std::fs::create_dir_all(&job_dir).unwrap();
        std::os::unix::fs::symlink(&batch, job_dir.join(&env["SUBMISSIONS"])).unwrap();
        let mut graded = false;
        for step in steps(grade) {
            if let Some(run) = step["run"].as_str().filter(|r| r.contains("cargo xtask grade")) {
                run_script(&["bash", "-eo", "pipefail", "-c"], &expand(run, shard), &job_dir, &env, &bin);
                graded = true;
            }
            if uses(&step, "actions/upload-artifact") {
                assert!(graded, "the upload comes after the grading");
                let name = expand(str_of(&step["with"]["name"], "artifact name"), shard);
                let path = expand(str_of(&step["with"]["path"], "artifact path"), shard);
                support::copy_tree(&job_dir.join(path), &artifacts.join(name));
            }
        }
        assert!(graded, "no step of the grade job runs `cargo xtask grade`");
    }

    // The merge job: its download puts each matching artifact in PATH/NAME.
    let merge = &workflow["jobs"]["merge"];
    assert_eq!(str_of(&merge["needs"], "needs"), "grade");
    let merge_dir = tmp.path().join("merge-job");
    std::fs::create_dir_all(&merge_dir).unwrap();
    let mut result = None;
    for step in steps(merge) {
        if uses(&step, "actions/download-artifact") {
            let pattern = str_of(&step["with"]["pattern"], "pattern");
            let prefix = pattern.strip_suffix('*').expect("a NAME-* pattern");
            let into = merge_dir.join(str_of(&step["with"]["path"], "download path"));
            for entry in std::fs::read_dir(&artifacts).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if name.starts_with(prefix) {
                    support::copy_tree(&artifacts.join(&name), &into.join(&name));
                }
            }
        }
        if let Some(run) = step["run"].as_str() {
            assert!(run.contains("cargo xtask merge"), "an unexpected step: {run}");
            run_script(&["bash", "-eo", "pipefail", "-c"], run, &merge_dir, &env, &bin);
        }
        if uses(&step, "actions/upload-artifact") {
            result = Some(merge_dir.join(str_of(&step["with"]["path"], "path")));
        }
    }
    let result = result.expect("the merge job uploads its reports");
    let merged = std::fs::read_to_string(result.join("grades.csv")).expect("the merged grades.csv");
    assert_eq!(merged, whole);
    assert_eq!(merged.lines().count(), 5, "a header and the four submissions:\n{merged}");
}

#[test]
fn the_classroom_workflow_checks_every_exercise_and_reports_each() {
    let workflow = &load("deploy/github-classroom/classroom.yml")[0];
    let info: toml::Table =
        std::fs::read_to_string(course_root().join("exercises/info.toml")).unwrap().parse().unwrap();
    let exercises: Vec<&str> =
        info["exercise"].as_array().unwrap().iter().map(|e| e["dir"].as_str().unwrap()).collect();

    let job = &workflow["jobs"]["run-autograding-tests"];
    let steps = job["steps"].as_vec().expect("steps");
    let mut graders = Vec::new();
    let mut reporter = None;
    for step in steps {
        match step["uses"].as_str() {
            Some(u) if u.starts_with("classroom-resources/autograding-command-grader@") => graders.push(step),
            Some(u) if u.starts_with("classroom-resources/autograding-grading-reporter@") => reporter = Some(step),
            _ => {}
        }
    }
    let mut ids = Vec::new();
    for (step, dir) in graders.iter().zip(&exercises) {
        let with = &step["with"];
        assert_eq!(str_of(&with["command"], "command"), format!("cargo xtask check {dir} --format github"));
        let points =
            with["max-score"].as_i64().expect("max-score is a whole number (Classroom reads it with parseInt)");
        assert!(points > 0, "{dir} is worth no points");
        assert!(with["timeout"].as_i64().is_some_and(|t| (1..=360).contains(&t)), "timeout in minutes");
        let id = str_of(&step["id"], "id");
        let valid = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        assert!(valid, "{id}: a step id starts with a letter or _ and holds only letters, digits, - and _");
        ids.push(id);
    }
    assert_eq!(graders.len(), exercises.len(), "one grader step per exercise, in course order");

    let reporter = reporter.expect("a grading reporter step");
    let runners: Vec<&str> = str_of(&reporter["with"]["runners"], "runners").split(',').collect();
    assert_eq!(runners, ids, "the reporter sums every grader step");
    for id in &ids {
        let var = Yaml::String(format!("{}_RESULTS", id.to_uppercase()));
        let value = reporter["env"].as_hash().and_then(|env| env.get(&var)).and_then(Yaml::as_str);
        assert_eq!(value, Some(format!("${{{{ steps.{id}.outputs.result }}}}").as_str()), "{var:?}");
    }
}
