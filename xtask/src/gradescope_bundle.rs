//! `cargo xtask gradescope-bundle`: the zip a Gradescope programming
//! assignment takes as its autograder.
//!
//! Gradescope unpacks the zip into `/autograder/source`, runs its `setup.sh`
//! once while it builds the image, and then, for every submission, runs
//! `run_autograder` with the learner's files in `/autograder/submission`;
//! whatever that leaves in `/autograder/results/results.json` is the grade.
//! So the zip holds the course as the grader needs it (the workspace, the
//! stubs, the hidden tests, xtask; never the solutions or the mutants), the
//! two scripts from `deploy/gradescope/`, the toolchain version this machine
//! builds with, and the grader's private tests when given.

use crate::engine::course::Course;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Upload the zip as the autograder of a Gradescope programming assignment (base image: Ubuntu). \
setup.sh installs the Rust toolchain this machine has (written into the zip as `toolchain`), \
fetches every crate and builds the hidden tests once; run_autograder then grades \
/autograder/submission offline and writes /autograder/results/results.json. \
Each test's visibility comes from exercises/info.toml. run_autograder grades within the \
--time-budget written into the zip as `time-budget`: every test runs once, and confirmation runs \
stop when the time is up (the results say so). Set AUTOGRADER_ROOT to try run_autograder on a \
folder laid out like /autograder.")]
pub struct Args {
    /// The zip to write.
    #[arg(long, value_name = "FILE", default_value = "autograder.zip")]
    pub out: PathBuf,
    /// Private tests to grade with as well, laid over the hidden ones as
    /// `grade --tests` does: DIR/NN_name/*.rs adds or replaces files of
    /// tests/NN_name/.
    #[arg(long, value_name = "DIR")]
    pub tests: Option<PathBuf>,
    /// How long run_autograder may take per submission (`grade
    /// --time-budget`); keep it under the assignment's timeout, which is 10
    /// minutes unless you changed it.
    #[arg(long, value_name = "DURATION", default_value = "8m", value_parser = crate::grade::parse_duration)]
    pub time_budget: std::time::Duration,
}

/// Where the two scripts Gradescope runs live in the course.
const SCRIPTS_DIR: &str = "deploy/gradescope";

/// One file of the zip: its name there, and where its bytes come from.
struct Entry {
    name: String,
    bytes: Vec<u8>,
    executable: bool,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let mut entries = course_files(&course.root)?;
    for script in ["setup.sh", "run_autograder"] {
        let path = course.root.join(SCRIPTS_DIR).join(script);
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        entries.push(Entry { name: script.to_string(), bytes, executable: true });
    }
    let toolchain = crate::toolchain::version()?;
    entries.push(Entry { name: "toolchain".into(), bytes: format!("{toolchain}\n").into_bytes(), executable: false });
    let budget = format!("{}s\n", args.time_budget.as_secs());
    entries.push(Entry { name: "time-budget".into(), bytes: budget.into_bytes(), executable: false });
    if let Some(dir) = &args.tests {
        if !dir.is_dir() {
            return Err(crate::exit::Usage(format!("--tests {}: no such folder", dir.display())).into());
        }
        for file in files_under(dir)? {
            let rel = file.strip_prefix(dir).expect("listed under dir");
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            entries.push(Entry { name: format!("private-tests/{}", zip_name(rel)?), bytes, executable: false });
        }
    }
    write_zip(&args.out, &entries)?;
    let size: usize = entries.iter().map(|e| e.bytes.len()).sum();
    println!(
        "wrote {}: {} files, {} KiB before compression, for Rust {toolchain}{}",
        args.out.display(),
        entries.len(),
        size / 1024,
        if args.tests.is_some() { ", with the private tests" } else { "" }
    );
    println!(
        "Upload it as the autograder of a Gradescope programming assignment; it grades each submission within {} s \
         (--time-budget), under Gradescope's default of 10 minutes.",
        args.time_budget.as_secs()
    );
    Ok(crate::exit::OK)
}

/// Whether the grader needs the course file named `name` in the zip (its
/// path relative to the course root, `/`-separated). Solutions and mutants
/// stay out: learners' code runs in the same container as the autograder's
/// files.
fn needed(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["Cargo.toml" | "Cargo.lock" | "rustfmt.toml"] => true,
        [".cargo", ..] | ["exercises", ..] => true,
        ["tests", _, "mutants", ..] => false,
        ["tests", ..] => true,
        ["xtask", "tests", ..] => false,
        ["xtask", ..] => true,
        ["deploy", "prepare.sh"] => true,
        _ => false,
    }
}

fn course_files(root: &Path) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for top in [".cargo", "Cargo.toml", "Cargo.lock", "rustfmt.toml", "exercises", "tests", "xtask", "deploy"] {
        let path = root.join(top);
        let files = if path.is_dir() {
            files_under(&path)?
        } else if path.is_file() {
            vec![path]
        } else {
            continue;
        };
        for file in files {
            let name = zip_name(file.strip_prefix(root).expect("listed under the root"))?;
            if !needed(&name) {
                continue;
            }
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let executable = name.ends_with(".sh");
            entries.push(Entry { name, bytes, executable });
        }
    }
    if !entries.iter().any(|e| e.name == "deploy/prepare.sh") {
        bail!("{} is missing: setup.sh runs it", root.join("deploy/prepare.sh").display());
    }
    Ok(entries)
}

/// Every regular file under `dir`, sorted, without `target/` folders.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() && entry.file_name() != "target" {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn zip_name(rel: &Path) -> Result<String> {
    let parts: Option<Vec<&str>> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    match parts {
        Some(parts) => Ok(parts.join("/")),
        None => bail!("{}: not a plain relative UTF-8 path", rel.display()),
    }
}

/// Writes the zip next to `out` and renames it into place, so that a failed
/// run never leaves half a bundle under the name that gets uploaded.
fn write_zip(out: &Path, entries: &[Entry]) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let partial = out.with_extension("zip.partial");
    let file = std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    for entry in entries {
        let mode = if entry.executable { 0o755 } else { 0o644 };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode);
        zip.start_file(entry.name.as_str(), options).with_context(|| format!("cannot add {}", entry.name))?;
        zip.write_all(&entry.bytes)?;
    }
    let mut writer = zip.finish().context("cannot finish the zip")?;
    writer.flush()?;
    drop(writer);
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_keeps_what_grading_needs_and_leaves_out_answers() {
        for kept in [
            "Cargo.toml",
            "Cargo.lock",
            ".cargo/config.toml",
            "exercises/info.toml",
            "exercises/04_counter/src/lib.rs",
            "tests/04_counter/main.rs",
            "tests/testkit/src/lib.rs",
            "tests/protocol/src/lib.rs",
            "tests/protocol/Cargo.toml",
            "tests/categories.toml",
            "xtask/src/main.rs",
            "deploy/prepare.sh",
        ] {
            assert!(needed(kept), "{kept} should be in the bundle");
        }
        for left in [
            "solutions/04_counter/src/lib.rs",
            "tests/04_counter/mutants/lost_update.rs",
            "xtask/tests/grade.rs",
            "bench/results.md",
            "README.md",
            "deploy/Dockerfile",
            "target/debug/xtask",
        ] {
            assert!(!needed(left), "{left} should not be in the bundle");
        }
    }
}
