//! Shared set-up for the runner's own tests: a copy of the fixture course in
//! a temporary folder, with a root manifest that borrows the real course's
//! dependency table, profile and lock file, so its builds reuse the real
//! course's compiled dependencies.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn course_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A fixture course laid out in a fresh temporary folder.
pub struct FixtureCourse {
    pub dir: tempfile::TempDir,
}

impl FixtureCourse {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course");
        copy_tree(&fixture, dir.path());
        let real = course_root();
        let real_manifest: toml::Table = std::fs::read_to_string(real.join("Cargo.toml")).unwrap().parse().unwrap();
        let mut deps = real_manifest["workspace"]["dependencies"].as_table().unwrap().clone();
        // The course's own crates (testkit, protocol) stay where they are.
        for (_, spec) in deps.iter_mut() {
            if let Some(spec) = spec.as_table_mut()
                && let Some(path) = spec.get("path").and_then(toml::Value::as_str)
            {
                let path = real.join(path).to_string_lossy().into_owned();
                spec.insert("path".into(), path.into());
            }
        }
        let mut workspace = toml::Table::new();
        workspace.insert("members".into(), toml::Value::Array(vec![]));
        workspace.insert("dependencies".into(), deps.into());
        let mut manifest = toml::Table::new();
        manifest.insert("workspace".into(), workspace.into());
        manifest.insert("profile".into(), real_manifest["profile"].clone());
        std::fs::write(dir.path().join("Cargo.toml"), toml::to_string(&manifest).unwrap()).unwrap();
        std::fs::copy(real.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
        FixtureCourse { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `cargo xtask` against this course, sharing the real course's build cache.
    pub fn xtask(&self) -> Command {
        let mut cmd = Command::cargo_bin("xtask").unwrap();
        cmd.arg("--root").arg(self.path());
        cmd.env("THREADWORK_TARGET_DIR", course_root().join("target/threadwork/target"));
        cmd.env_remove("NO_COLOR");
        cmd
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Parses `--format json` output into its lines.
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The `type: test` line for one test.
pub fn test_line<'a>(lines: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|l| l["type"] == "test" && l["name"] == name)
        .unwrap_or_else(|| panic!("no line for test {name} in {lines:#?}"))
}

/// The fixture course without the exercises that exist to misbehave under
/// `check` (`mixed` hangs and floods; `broken` does not compile).
pub fn grading_course() -> FixtureCourse {
    let course = FixtureCourse::new();
    let info = course.path().join("exercises/info.toml");
    let text = std::fs::read_to_string(&info).unwrap();
    let mut table: toml::Table = text.parse().unwrap();
    let exercises = table["exercise"].as_array_mut().unwrap();
    exercises.retain(|e| !matches!(e["name"].as_str(), Some("mixed" | "broken")));
    std::fs::write(&info, toml::to_string(&table).unwrap()).unwrap();
    course
}

/// A learner's checkout: `exercises/NN/src/lib.rs` for each given exercise,
/// plus a manifest and a build script that must be ignored.
pub fn checkout(dir: &Path, files: &[(&str, &str)]) {
    for (ex, text) in files {
        let src = dir.join("exercises").join(ex).join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("lib.rs"), text).unwrap();
        std::fs::write(
            dir.join("exercises").join(ex).join("Cargo.toml"),
            "[package]\nname = \"evil\"\nbuild = \"build.rs\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("exercises").join(ex).join("build.rs"), "fn main() { panic!(\"ran\") }\n").unwrap();
    }
}

/// Asserts that a command `what` succeeded, showing its output if not.
pub fn assert_succeeded(output: &std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
