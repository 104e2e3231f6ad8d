//! `gradescope/<id>/results.json`: Gradescope's autograder format.

use super::{describe, num, shown_chars, snake};
use crate::grade::model::{ExerciseResult, ExerciseStatus, SubmissionResult, SubmissionStatus, TestResult, TestStatus};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fmt::Write as _;

/// The folder under `gradescope/` for each submission, in order.
///
/// Ids are entry names. An odd one makes its submission invalid, but an
/// invalid submission still gets its results file, and a report must not
/// write outside its folder whatever it is handed: a path separator or a
/// control character becomes `_`, and a name of only dots gets a `_` in
/// front. Two ids that end up the same, or differ only in case (one folder on
/// macOS and Windows), get `~2`, `~3`... in submission order, so no
/// submission's results overwrite another's.
pub(super) fn gradescope_dirs(subs: &[SubmissionResult]) -> Vec<String> {
    let mut used = HashSet::new();
    subs.iter()
        .map(|sub| {
            let mut base: String =
                sub.id.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
            if base.chars().all(|c| c == '.') {
                base = format!("_{base}");
            }
            let mut name = base.clone();
            let mut n = 1;
            while !used.insert(name.to_lowercase()) {
                n += 1;
                name = format!("{base}~{n}");
            }
            name
        })
        .collect()
}

/// One submission in Gradescope's autograder format, for
/// `gradescope/<id>/results.json` (which the Gradescope bundle's
/// `run_autograder` copies to `/autograder/results/results.json`).
///
/// Field names follow Gradescope's "Autograder Specifications", section
/// "Output format" (gradescope-autograders.readthedocs.io/en/latest/specs/,
/// whose source is `docs/specs.md` in the gradescope/autograder_samples
/// repository; the revision whose example lists `status`, `output_format`,
/// `test_output_format` and `name_format`). What this relies on from it:
///
/// * top level: `score` ("overrides total of tests if specified", so it is
///   always set, from the model), `output` (text for the whole submission),
///   `tests`, `extra_data` (stored, not shown), and `output_format` /
///   `test_output_format` (see below). The spec has no top-level
///   `max_score`, so the submission's maximum goes into `extra_data` (with
///   the id and content hash) rather than into a field Gradescope does not
///   define; the tests' `max_score` add up to it.
/// * each test: `name`, `score`, `max_score`, `status`, `output` (shown in a
///   `<pre>`), and `visibility` (`visible`, `hidden`, `after_due_date`,
///   `after_published`), taken from the model, which takes it from the
///   exercise metadata. `status` is Gradescope's word, `"passed"` (the spec's
///   example) or `"failed"`, never the model's `timed_out` or `crashed`: those
///   are `"failed"`, and their output says which.
/// * `output_format` / `test_output_format` are `"text"` (the value the spec's
///   example gives test output): messages come from learners' code, and must
///   be shown, never rendered as HTML or Markdown. Control characters and
///   terminal colour codes are removed from them (see `shown_chars`);
///   `report.json` keeps them as they were.
///
/// Test names are `<exercise>::<test>`. An invalid submission scores 0, its
/// `output` is the error, and it has no tests.
///
/// A **not-submitted exercise is one test**, `<exercise> (not submitted)`, at
/// 0 out of the exercise's maximum, always `visible`, whose output says it was
/// not submitted. Listing its tests as failed instead would show the learner a
/// wall of identical failures, hide the one fact that matters among them, and
/// keep it out of sight entirely where the tests are `hidden`; one visible
/// line says it, and the points add up the same.
///
/// An exercise that did not compile gets one more test, `<exercise>::build`,
/// at 0 out of 0 (so it moves no points), `failed`, always visible, whose
/// output is the compiler's messages; its own tests follow, failed, each
/// saying it was not run because of that.
pub fn gradescope_results(sub: &SubmissionResult) -> Value {
    let extra = json!({
        "id": sub.id,
        "status": snake(&sub.status),
        "max_score": sub.max_score,
        "content_hash": sub.content_hash,
    });
    if sub.status == SubmissionStatus::Invalid {
        let error = sub.error.as_deref().unwrap_or("the submission could not be read");
        return json!({
            "score": 0.0,
            "output": shown(&format!("This submission could not be graded: {error}")),
            "output_format": "text",
            "extra_data": extra,
            "tests": [],
        });
    }
    let mut tests = Vec::new();
    for ex in &sub.exercises {
        match ex.status {
            ExerciseStatus::NotSubmitted => tests.push(json!({
                "name": format!("{} (not submitted)", ex.name),
                "score": 0.0,
                "max_score": ex.max_score,
                "status": "failed",
                "output": format!(
                    "{} was not submitted: its files were missing or unchanged from the stub, \
                     so it was not built or tested.",
                    ex.name
                ),
                "visibility": "visible",
            })),
            ExerciseStatus::CompileError => {
                tests.push(json!({
                    "name": format!("{}::build", ex.name),
                    "score": 0.0,
                    "max_score": 0.0,
                    "status": "failed",
                    "output": shown(&format!(
                        "{} did not compile, so none of its tests ran.\n\n{}",
                        ex.name,
                        ex.compiler_output.as_deref().unwrap_or("")
                    )),
                    "visibility": "visible",
                }));
                tests.extend(ex.tests.iter().map(|t| gradescope_test(ex, t)));
            }
            ExerciseStatus::Passed | ExerciseStatus::Failed => {
                tests.extend(ex.tests.iter().map(|t| gradescope_test(ex, t)));
            }
        }
    }
    json!({
        "score": sub.score,
        "output": shown(&submission_output(sub)),
        "output_format": "text",
        "test_output_format": "text",
        "extra_data": extra,
        "tests": tests,
    })
}

fn gradescope_test(ex: &ExerciseResult, t: &TestResult) -> Value {
    let (status, output) = match t.status {
        TestStatus::Passed => ("passed", t.message.clone()),
        TestStatus::Failed => ("failed", t.message.clone()),
        TestStatus::TimedOut | TestStatus::Crashed => {
            let said = describe(t.status);
            let output = if t.message.is_empty() { said.to_string() } else { format!("{said}: {}", t.message) };
            ("failed", output)
        }
        TestStatus::NotRun => {
            let why = match ex.status {
                ExerciseStatus::CompileError => format!("not run: {} did not compile", ex.name),
                _ => "not run".to_string(),
            };
            ("failed", why)
        }
    };
    json!({
        "name": format!("{}::{}", ex.name, t.name),
        "score": t.score,
        "max_score": t.max_score,
        "status": status,
        "output": shown(&output),
        "visibility": t.visibility,
    })
}

/// The text above the tests: the total, then a line per exercise.
fn submission_output(sub: &SubmissionResult) -> String {
    let mut out = format!("{} / {} points\n", num(sub.score), num(sub.max_score));
    let width = sub.exercises.iter().map(|e| e.name.chars().count()).max().unwrap_or(0);
    for ex in &sub.exercises {
        let status = match ex.status {
            ExerciseStatus::Passed => "passed",
            ExerciseStatus::Failed => "failed",
            ExerciseStatus::CompileError => "did not compile",
            ExerciseStatus::NotSubmitted => "not submitted",
        };
        let _ = writeln!(out, "  {:width$}  {:15}  {} / {}", ex.name, status, num(ex.score), num(ex.max_score));
    }
    let cut_short: Vec<&ExerciseResult> = sub.exercises.iter().filter(|e| e.cut_short()).collect();
    if !cut_short.is_empty() {
        let _ = writeln!(
            out,
            "\nThe grading ran out of time before every score was confirmed: {} may rest on luck.",
            cut_short.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    let failed: Vec<&ExerciseResult> = sub.exercises.iter().filter(|e| e.status == ExerciseStatus::Failed).collect();
    if !failed.is_empty() {
        out.push_str("\nHow each failed exercise's score was established:\n");
        for ex in failed {
            let _ = writeln!(out, "  {}: {}", ex.name, ex.established.summary);
        }
    }
    out
}

/// `s` with only the characters worth showing (`shown_chars`).
fn shown(s: &str) -> String {
    shown_chars(s).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::report;
    use super::*;

    #[test]
    fn the_output_says_what_was_cut_short_and_how_each_failed_score_was_established() {
        let r = report();
        let output = gradescope_results(&r.submissions[0])["output"].as_str().unwrap().to_string();
        assert!(output.contains("ran out of time before every score was confirmed: pool may rest on luck"), "{output}");
        assert!(output.contains("How each failed exercise's score was established:\n  pool: Cut short"), "{output}");
        let passed_only = gradescope_results(&r.submissions[1])["output"].as_str().unwrap().to_string();
        assert!(!passed_only.contains("ran out of time"), "{passed_only}");
    }

    #[test]
    fn gradescope_uses_its_field_names_and_words() {
        let r = report();
        let a = gradescope_results(&r.submissions[0]);
        assert_eq!(a["score"], 4.5);
        assert_eq!(a["extra_data"]["max_score"], 8.5);
        assert_eq!(a["output_format"], "text");
        assert_eq!(a["test_output_format"], "text");
        assert!(a["output"].as_str().unwrap().starts_with("4.5 / 8.5 points\n"));
        let tests = a["tests"].as_array().unwrap();
        let names: Vec<&str> = tests.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "counter::increments",
                "counter::no_lost_updates",
                "pool::runs_jobs",
                "pool::joins",
                "barrier (not submitted)"
            ]
        );
        for t in tests {
            let keys: HashSet<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, HashSet::from(["name", "score", "max_score", "status", "output", "visibility"]));
            assert!(t["status"] == "passed" || t["status"] == "failed");
            assert!(t["score"].is_number() && t["max_score"].is_number());
        }
        assert_eq!(tests[3]["status"], "failed");
        assert_eq!(tests[3]["output"], "left 1 right 2");
        assert_eq!(tests[0]["status"], "passed");
        // The not-submitted exercise: one visible test worth the exercise.
        assert_eq!(tests[4]["score"], 0.0);
        assert_eq!(tests[4]["max_score"], 3.0);
        assert_eq!(tests[4]["visibility"], "visible");
        assert!(tests[4]["output"].as_str().unwrap().contains("not submitted"));
        // Points add up: the tests' maxima are the submission's.
        let max: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
        assert_eq!(max, 8.5);

        let b = gradescope_results(&r.submissions[1]);
        let tests = b["tests"].as_array().unwrap();
        let timed_out = tests.iter().find(|t| t["name"] == "counter::no_lost_updates").unwrap();
        assert_eq!(timed_out["status"], "failed");
        assert_eq!(timed_out["output"], "timed out");
        let crashed = tests.iter().find(|t| t["name"] == "pool::runs_jobs").unwrap();
        assert_eq!(crashed["output"], "crashed: expected <&\"> got red and  alone\nsecond line");
        let build = tests.iter().find(|t| t["name"] == "barrier::build").unwrap();
        assert_eq!((build["score"].as_f64(), build["max_score"].as_f64()), (Some(0.0), Some(0.0)));
        assert!(build["output"].as_str().unwrap().contains("error[E0308]"));
        let waits = tests.iter().find(|t| t["name"] == "barrier::waits").unwrap();
        assert_eq!(waits["output"], "not run: barrier did not compile");

        let c = gradescope_results(&r.submissions[2]);
        assert_eq!(c["score"], 0.0);
        assert!(c["output"].as_str().unwrap().contains("escapes the submission"));
        assert_eq!(c["tests"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn gradescope_keeps_visibility_from_the_model() {
        let mut r = report();
        r.submissions[0].exercises[0].tests[1].visibility = "after_due_date".into();
        let a = gradescope_results(&r.submissions[0]);
        assert_eq!(a["tests"][1]["visibility"], "after_due_date");
    }

    #[test]
    fn gradescope_folders_stay_inside_and_do_not_collide() {
        let mut subs = report().submissions;
        subs[0].id = "..".into();
        subs[1].id = "a/b".into();
        subs[2].id = "A_B".into();
        assert_eq!(gradescope_dirs(&subs), ["_..", "a_b", "A_B~2"]);
    }
}
