//! The summary table `grade` and `merge` print when a batch is done.

use super::{exercise_names, num};
use crate::grade::model::{
    ExerciseResult, ExerciseStatus, GradeReport, SubmissionResult, SubmissionStatus, TestStatus,
};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// The terminal summary after a batch: a line per exercise (course order)
/// with how many graded submissions submitted it, how many of those did not
/// compile, their mean score out of the exercise's maximum, and the most
/// common failure: the test failing (failed, timed out or crashed; tests not
/// run do not count) in the most submissions, with how many. The mean is over
/// the submissions that submitted the exercise, so it says how those who tried
/// did; every submission's score is in `grades.csv`. Ties go to the name
/// that sorts first, so the table is the same every run.
pub fn summary_table(report: &GradeReport) -> String {
    let graded: Vec<&SubmissionResult> =
        report.submissions.iter().filter(|s| s.status == SubmissionStatus::Graded).collect();
    let invalid = report.submissions.len() - graded.len();

    let mut rows = vec![[
        "exercise".to_string(),
        "submitted".to_string(),
        "no build".to_string(),
        "mean / max".to_string(),
        "most common failure".to_string(),
    ]];
    for name in exercise_names(report) {
        let results: Vec<&ExerciseResult> =
            graded.iter().filter_map(|s| s.exercises.iter().find(|e| e.name == name)).collect();
        let submitted: Vec<&&ExerciseResult> =
            results.iter().filter(|e| e.status != ExerciseStatus::NotSubmitted).collect();
        let no_build = submitted.iter().filter(|e| e.status == ExerciseStatus::CompileError).count();
        let max = results.iter().map(|e| e.max_score).fold(0.0, f64::max);
        let mean = if submitted.is_empty() {
            "-".to_string()
        } else {
            let mean = submitted.iter().map(|e| e.score).sum::<f64>() / submitted.len() as f64;
            format!("{} / {}", num((mean * 100.0).round() / 100.0), num(max))
        };

        let mut failing: HashMap<&str, usize> = HashMap::new();
        for ex in &submitted {
            // A test counted once per submission, even if listed twice.
            let names: HashSet<&str> = ex
                .tests
                .iter()
                .filter(|t| matches!(t.status, TestStatus::Failed | TestStatus::TimedOut | TestStatus::Crashed))
                .map(|t| t.name.as_str())
                .collect();
            for n in names {
                *failing.entry(n).or_default() += 1;
            }
        }
        let worst = failing.into_iter().max_by(|(a, na), (b, nb)| na.cmp(nb).then(b.cmp(a)));
        let worst = match worst {
            Some((test, n)) => format!("{test} ({n} of {})", submitted.len()),
            None => "-".to_string(),
        };
        rows.push([
            name.to_string(),
            format!("{} of {}", submitted.len(), graded.len()),
            no_build.to_string(),
            mean,
            worst,
        ]);
    }

    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row.iter().zip(widths).map(|(cell, w)| format!("{cell:w$}")).collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    let _ = writeln!(
        out,
        "{} submission{}: {} graded, {} invalid",
        report.submissions.len(),
        if report.submissions.len() == 1 { "" } else { "s" },
        graded.len(),
        invalid
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::report;
    use super::*;

    #[test]
    fn summary_names_the_most_common_failure() {
        let table = summary_table(&report());
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("exercise"), "{table}");
        assert!(lines[1].starts_with("--------"), "{table}");
        let row = |name: &str| lines.iter().find(|l| l.starts_with(name)).copied().unwrap();
        let words = |l: &str| l.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            words(row("counter")),
            ["counter", "2", "of", "2", "0", "2", "/", "3", "no_lost_updates", "(1", "of", "2)"]
        );
        // joins fails in both submissions, runs_jobs in one.
        assert_eq!(words(row("pool")), ["pool", "2", "of", "2", "0", "0.75", "/", "2.5", "joins", "(2", "of", "2)"]);
        // One submitted, it did not compile; not-run tests are not failures.
        assert_eq!(words(row("barrier")), ["barrier", "1", "of", "2", "1", "0", "/", "3", "-"]);
        assert_eq!(*lines.last().unwrap(), "3 submissions: 2 graded, 1 invalid");
    }
}
