//! `grades.csv`, for gradebooks.

use super::{exercise_names, num, snake};
use crate::grade::model::{ExerciseResult, GradeReport, SubmissionStatus};
use std::collections::HashMap;

/// `grades.csv`: a header `id,status,total,max_total,<exercise>...` (one
/// column per exercise crate name, in course order), then a row per
/// submission in report order. An invalid submission's exercise cells are
/// empty, not 0: it was not graded, and a gradebook import should not read it
/// as a learner who scored nothing. An exercise a graded submission does not
/// list is empty too.
///
/// RFC 4180 quoting (ids are file names and may hold commas, quotes or line
/// breaks), with `\n` line ends: every spreadsheet reads them, and graders'
/// scripts and `diff` prefer them. Ids are written as they are, even one that
/// starts with `=`: scripts join on ids, so this file does not alter them,
/// and a spreadsheet should import it as text.
pub fn grades_csv(report: &GradeReport) -> String {
    let names = exercise_names(report);
    let mut out = String::new();
    let header = ["id", "status", "total", "max_total"].into_iter().chain(names.iter().copied());
    csv_row(&mut out, header.map(str::to_string));
    for sub in &report.submissions {
        let by_name: HashMap<&str, &ExerciseResult> = sub.exercises.iter().map(|e| (e.name.as_str(), e)).collect();
        let graded = sub.status == SubmissionStatus::Graded;
        let cells = [sub.id.clone(), snake(&sub.status), num(sub.score), num(sub.max_score)].into_iter().chain(
            names.iter().map(|n| match by_name.get(n) {
                Some(ex) if graded => num(ex.score),
                _ => String::new(),
            }),
        );
        csv_row(&mut out, cells);
    }
    out
}

/// One row. Written by hand, not with the `csv` crate: its default writer
/// gives the same bytes for these rows (same quoted characters, quotes
/// doubled, `\n` ends; every row has four cells or more), but it would add
/// three crates to every build of the grader for these few lines.
fn csv_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{ODD_ID, report};
    use super::*;

    /// A minimal RFC 4180 reader, to check the writer by reading back.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = vec![];
        let mut row = vec![];
        let mut cell = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') => {
                    assert!(cell.is_empty(), "quote inside an unquoted cell");
                    quoted = true;
                }
                (false, ',') => row.push(std::mem::take(&mut cell)),
                (false, '\n') => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => cell.push(c),
            }
        }
        assert!(!quoted && cell.is_empty() && row.is_empty(), "CSV must end with a complete row");
        rows
    }

    #[test]
    fn csv_has_a_column_per_exercise_in_course_order_and_reads_back() {
        let text = grades_csv(&report());
        let rows = parse_csv(&text);
        assert_eq!(rows[0], ["id", "status", "total", "max_total", "counter", "pool", "barrier"]);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.len() == 7), "every row as wide as the header: {rows:?}");
        assert_eq!(rows[1], ["alice", "graded", "4.5", "8.5", "3", "1.5", "0"]);
        assert_eq!(rows[2], [ODD_ID, "graded", "1", "8.5", "1", "0", "0"]);
        assert_eq!(rows[3], ["mallory", "invalid", "0", "10.5", "", "", ""]);
        assert!(text.contains("\"smith, \"\"jo\"\"\""), "the id quoted, its quotes doubled: {text}");
    }

    #[test]
    fn csv_quotes_line_breaks() {
        let mut r = report();
        r.submissions[0].id = "two\nlines".into();
        let rows = parse_csv(&grades_csv(&r));
        assert_eq!(rows[1][0], "two\nlines");
        assert_eq!(rows.len(), 4);
    }
}
