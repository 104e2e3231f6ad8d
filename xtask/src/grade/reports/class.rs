//! The class view: `class` in `report.json`, charted in `summary.html`.

use super::{exercise_names, snake};
use crate::grade::model::{
    ExerciseResult, ExerciseStatus, GradeReport, SubmissionResult, SubmissionStatus, TestStatus,
};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// One exercise in the class view: of the graded submissions that
/// submitted it, how many failed at least one test with each category (a
/// submission failing two tests of one category counts once), and how many
/// passed it whole.
#[derive(Debug, serde::Serialize)]
pub struct ClassExercise {
    pub name: String,
    pub submitted: usize,
    pub passed: usize,
    /// Most common first (ties by name).
    pub failed_as: Vec<FailedAs>,
}

/// How many submissions failed an exercise with one category of mistake.
#[derive(Debug, PartialEq, serde::Serialize)]
pub struct FailedAs {
    pub category: String,
    pub submissions: usize,
}

/// The class view (`class` in `report.json`, charted in `summary.html`).
pub fn class_view(report: &GradeReport) -> Vec<ClassExercise> {
    let graded: Vec<&SubmissionResult> =
        report.submissions.iter().filter(|s| s.status == SubmissionStatus::Graded).collect();
    exercise_names(report)
        .into_iter()
        .map(|name| {
            let submitted: Vec<&ExerciseResult> = graded
                .iter()
                .filter_map(|s| s.exercises.iter().find(|e| e.name == name))
                .filter(|e| e.status != ExerciseStatus::NotSubmitted)
                .collect();
            let mut counts: HashMap<String, usize> = HashMap::new();
            for ex in &submitted {
                let mut kinds: HashSet<String> = ex
                    .tests
                    .iter()
                    .filter(|t| matches!(t.status, TestStatus::Failed | TestStatus::TimedOut | TestStatus::Crashed))
                    .map(|t| t.category.map_or_else(|| snake(&t.status), |c| c.as_str().to_string()))
                    .collect();
                if ex.status == ExerciseStatus::CompileError {
                    kinds.insert(crate::engine::category::Category::CompileError.as_str().to_string());
                }
                for kind in kinds {
                    *counts.entry(kind).or_default() += 1;
                }
            }
            let mut failed_as: Vec<FailedAs> =
                counts.into_iter().map(|(category, submissions)| FailedAs { category, submissions }).collect();
            failed_as.sort_by(|a, b| b.submissions.cmp(&a.submissions).then(a.category.cmp(&b.category)));
            ClassExercise {
                name: name.to_string(),
                submitted: submitted.len(),
                passed: submitted.iter().filter(|e| e.status == ExerciseStatus::Passed).count(),
                failed_as,
            }
        })
        .collect()
}

/// The class view as a page a teacher reads at a glance: per exercise, a
/// bar per category of mistake, as long as the share of submissions that
/// made it. Self-contained: inline CSS, no script, no font or image to fetch.
pub fn summary_html(report: &GradeReport, class: &[ClassExercise]) -> String {
    let graded = report.submissions.iter().filter(|s| s.status == SubmissionStatus::Graded).count();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>threadwork: class summary</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 60em; }}\n\
         h2 {{ font-size: 1.1em; margin: 1.6em 0 0.4em; }}\n\
         table {{ border-collapse: collapse; width: 100%; }}\n\
         td {{ padding: 0.15em 0.5em; vertical-align: middle; }}\n\
         td.kind {{ width: 14em; }} td.count {{ width: 7em; text-align: right; font-variant-numeric: tabular-nums; }}\n\
         .bar {{ height: 1em; background: #c0392b; border-radius: 2px; }}\n\
         .bar.passed {{ background: #27ae60; }}\n\
         .note {{ color: #666; }}\n\
         </style>\n</head>\n<body>\n<h1>Class summary</h1>\n\
         <p class=\"note\">{} graded submission{} ({} in all); suite {} ({}). For each exercise, how many of the \
         submissions that tried it made each kind of mistake (at least one test failed that way).</p>\n",
        graded,
        if graded == 1 { "" } else { "s" },
        report.submissions.len(),
        html_text(&report.suite.version),
        html_text(report.suite.tests_hash.get(..12).unwrap_or(&report.suite.tests_hash)),
    );
    for ex in class {
        let _ = write!(
            html,
            "<h2>{} <span class=\"note\">({} submitted)</span></h2>\n<table>\n",
            html_text(&ex.name),
            ex.submitted
        );
        let mut rows: Vec<(&str, usize, bool)> = vec![("passed", ex.passed, true)];
        rows.extend(ex.failed_as.iter().map(|f| (f.category.as_str(), f.submissions, false)));
        for (kind, n, passed) in rows {
            let share = if ex.submitted == 0 { 0.0 } else { n as f64 * 100.0 / ex.submitted as f64 };
            let _ = writeln!(
                html,
                "<tr><td class=\"kind\">{}</td><td class=\"count\">{n} of {}</td>\
                 <td><div class=\"bar{}\" style=\"width: {share:.1}%\" title=\"{share:.0}%\"></div></td></tr>",
                html_text(kind),
                ex.submitted,
                if passed { " passed" } else { "" },
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn html_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::super::fixture::report;
    use super::*;

    #[test]
    fn the_class_view_counts_submissions_per_kind_of_mistake() {
        let r = report();
        let class = class_view(&r);
        let row = |name: &str| class.iter().find(|e| e.name == name).unwrap();
        // Both tried pool and failed it: alice's `joins` as a wrong result;
        // the other's `runs_jobs` as a deadlock, and its `joins`, which
        // names no category, by its status.
        let pool = row("pool");
        assert_eq!((pool.submitted, pool.passed), (2, 0));
        let kinds =
            |e: &ClassExercise| e.failed_as.iter().map(|f| (f.category.clone(), f.submissions)).collect::<Vec<_>>();
        assert_eq!(kinds(pool), [("deadlock".into(), 1), ("failed".into(), 1), ("wrong_result".into(), 1)]);
        let counter = row("counter");
        assert_eq!((counter.submitted, counter.passed), (2, 1));
        assert_eq!(kinds(counter), [("timed_out".into(), 1)]);
        // A build that failed is a compile_error; one not submitted is not counted.
        let barrier = row("barrier");
        assert_eq!((barrier.submitted, kinds(barrier)), (1, vec![("compile_error".into(), 1)]));

        let html = summary_html(&r, &class);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script") && !html.contains("http"), "self-contained: nothing to run or fetch");
        assert!(html.contains("<td class=\"kind\">deadlock</td><td class=\"count\">1 of 2</td>"), "{html}");
        assert!(html.contains("2 graded submissions (3 in all)"), "{html}");
    }
}
