//! Every report `grade` and `merge` leave in `--out DIR`, and the
//! terminal summary, all written from the one outcome type in `model`:
//!
//! * `report.json`: the model as is (pretty), what `merge` reads back;
//! * `grades.csv`: a row per submission, a column per exercise, for gradebooks;
//! * `junit.xml`: for CI dashboards and anything else that reads JUnit;
//! * `gradescope/<id>/results.json`: Gradescope's autograder format, one per
//!   submission (the bundle's `run_autograder` copies it to
//!   `/autograder/results/results.json`);
//! * `summary.html`: the class view, a self-contained page (no script, no
//!   network) charting, per exercise, how many submissions failed with each
//!   category of mistake; `report.json` carries the same numbers as `class`.
//!
//! Learners' output reaches these files (panic messages, compiler messages,
//! file names as ids), so each writer quotes or escapes for its own format and
//! nothing a learner writes can break a file's shape.
//!
//! One module per format: `csv` (`grades.csv`), `junit` (`junit.xml`),
//! `gradescope` (`results.json`), `class` (the class view and
//! `summary.html`) and `summary` (the terminal table). What they share is
//! here: the exercises in course order, and how scores, statuses and learner
//! text are shown.

mod class;
mod csv;
#[cfg(test)]
mod fixture;
mod gradescope;
mod junit;
mod summary;

pub use class::{class_view, summary_html};
pub use csv::grades_csv;
pub use gradescope::gradescope_results;
pub use junit::junit_xml;
pub use summary::summary_table;

use super::model::{GradeReport, TestStatus};
use crate::atomic_write::write_atomic;
use anyhow::Context;
use gradescope::gradescope_dirs;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

/// Writes every report for `report` into `out`: `report.json` (pretty, the
/// model as is), `grades.csv`, `junit.xml` and `gradescope/<id>/results.json`
/// for each submission.
///
/// Each file is written atomically (a temporary file in the same folder,
/// synced, then renamed over the target), so a grader killed mid-write, or a
/// script reading while a batch finishes, sees the old file or the new one,
/// never half of one.
pub fn write_all(report: &GradeReport, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let class = class_view(report);
    let mut value = serde_json::to_value(report).context("serializing report.json")?;
    value["class"] = serde_json::to_value(&class).context("serializing the class view")?;
    let mut json = serde_json::to_string_pretty(&value).context("serializing report.json")?;
    json.push('\n');
    write_atomic(&out.join("report.json"), json.as_bytes())?;
    write_atomic(&out.join("grades.csv"), grades_csv(report).as_bytes())?;
    write_atomic(&out.join("junit.xml"), junit_xml(report).as_bytes())?;
    write_atomic(&out.join("summary.html"), summary_html(report, &class).as_bytes())?;

    let gradescope = out.join("gradescope");
    for (sub, dir) in report.submissions.iter().zip(gradescope_dirs(&report.submissions)) {
        let dir = gradescope.join(dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut text = serde_json::to_string_pretty(&gradescope_results(sub)).context("serializing results.json")?;
        text.push('\n');
        write_atomic(&dir.join("results.json"), text.as_bytes())?;
    }
    Ok(())
}

/// The exercises' crate names in course order: the order in which they first
/// appear in the submissions' exercise lists. A graded submission lists every
/// exercise of the course (not submitted ones too) in course order, so this is
/// the course's order without the reports reading `info.toml`, and an
/// exercise only some submissions list still gets its column.
fn exercise_names(report: &GradeReport) -> Vec<&str> {
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    for ex in report.submissions.iter().flat_map(|s| &s.exercises) {
        if seen.insert(ex.name.as_str()) {
            names.push(ex.name.as_str());
        }
    }
    names
}

/// A score as people write it: `3`, not `3.0`; `2.5` stays. Rounded to six
/// decimals first, because weights are decimals typed by people and their
/// sums carry binary noise (`0.1 + 0.2`) that would otherwise show.
fn num(x: f64) -> String {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        // Also -0.0, which would print as "-0".
        return "0".to_string();
    }
    format!("{r}")
}

/// A model enum's name as `report.json` spells it (`timed_out`, `invalid`),
/// so every report uses one vocabulary.
fn snake<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn describe(status: TestStatus) -> &'static str {
    match status {
        TestStatus::Passed => "passed",
        TestStatus::Failed => "failed",
        TestStatus::TimedOut => "timed out",
        TestStatus::Crashed => "crashed",
        TestStatus::NotRun => "not run",
    }
}

/// The characters of `s` worth showing, which are exactly those XML 1.0
/// allows (`Char` production: tab, line feed, carriage return,
/// U+0020..U+D7FF, U+E000..U+FFFD, U+10000 and up; Rust's `char` already
/// excludes surrogates). Terminal escape sequences (`ESC [ ... m` and the
/// like) are dropped whole rather than leaving `[31m` behind once the ESC is
/// gone. `junit.xml` needs this to parse at all; Gradescope's text is cleaned
/// the same way, because it shows escape codes as noise and a NUL may not
/// survive its storage.
fn shown_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    let mut chars = s.chars().peekable();
    std::iter::from_fn(move || {
        loop {
            let c = chars.next()?;
            if c == '\u{1b}' {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    // Parameters and intermediates, then one final byte.
                    while chars.next_if(|c| ('\u{20}'..='\u{3f}').contains(c)).is_some() {}
                    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
                }
                continue;
            }
            let allowed = matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}');
            if allowed {
                return Some(c);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::fixture::{ODD_ID, report};
    use super::*;

    #[test]
    fn numbers_have_no_needless_decimals() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(0.1 + 0.2), "0.3");
    }

    #[test]
    fn write_all_writes_every_report_and_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let r = report();
        write_all(&r, &out).unwrap();
        // Again over the first: replacing works and still leaves nothing behind.
        write_all(&r, &out).unwrap();

        let mut files = vec![];
        let mut todo = vec![out.clone()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else {
                    files.push(path.strip_prefix(&out).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        let mut expected = vec![
            "grades.csv".to_string(),
            "junit.xml".to_string(),
            "report.json".to_string(),
            "summary.html".to_string(),
            format!("gradescope/{ODD_ID}/results.json"),
            "gradescope/alice/results.json".to_string(),
            "gradescope/mallory/results.json".to_string(),
        ];
        expected.sort();
        assert_eq!(files, expected);

        let back: GradeReport =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&r).unwrap());
        assert_eq!(std::fs::read_to_string(out.join("grades.csv")).unwrap(), grades_csv(&r));
        assert_eq!(std::fs::read_to_string(out.join("junit.xml")).unwrap(), junit_xml(&r));
        let path = out.join("gradescope").join(&gradescope_dirs(&r.submissions)[1]).join("results.json");
        let gs: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(gs, gradescope_results(&r.submissions[1]));
    }
}
