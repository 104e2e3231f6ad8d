//! Every report `grade` and `merge` leave in `--out DIR` (issue 5), and the
//! terminal summary, all written from the one outcome type in `model`:
//!
//! * `report.json`: the model as is (pretty), what `merge` reads back;
//! * `grades.csv`: a row per submission, a column per exercise, for gradebooks;
//! * `junit.xml`: for CI dashboards and anything else that reads JUnit;
//! * `gradescope/<id>/results.json`: Gradescope's autograder format, one per
//!   submission (issue 10 writes the same object to
//!   `/autograder/results/results.json`);
//! * `summary.html`: the class view, a self-contained page (no script, no
//!   network) charting, per exercise, how many submissions failed with each
//!   category of mistake; `report.json` carries the same numbers as `class`.
//!
//! Learners' output reaches these files (panic messages, compiler messages,
//! file names as ids), so each writer quotes or escapes for its own format and
//! nothing a learner writes can break a file's shape.

use super::model::{
    ExerciseResult, ExerciseStatus, GradeReport, SubmissionResult, SubmissionStatus, TestResult, TestStatus,
};
use crate::atomic_write::write_atomic;
use anyhow::Context;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
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

/// The folder under `gradescope/` for each submission, in order.
///
/// Ids are entry names. An odd one makes its submission invalid, but an
/// invalid submission still gets its results file, and a report must not
/// write outside its folder whatever it is handed: a path separator or a
/// control character becomes `_`, and a name of only dots gets a `_` in
/// front. Two ids that end up the same, or differ only in case (one folder on
/// macOS and Windows), get `~2`, `~3`... in submission order, so no
/// submission's results overwrite another's.
fn gradescope_dirs(subs: &[SubmissionResult]) -> Vec<String> {
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

/// `junit.xml`: one `<testsuite name="<id>/<exercise>">` per exercise of every
/// graded submission, each test a `<testcase classname="<id>.<exercise>"
/// name="<test>" time="<seconds>">` with
///
/// * `<failure message=... type=<category>>` for failed, timed out and crashed
///   tests (the category when the runner gave one, else the status), the
///   whole message as its text;
/// * `<skipped/>` for tests not run;
/// * for an exercise that did not compile, one more test case, `build`, with
///   an `<error type="compile_error">` holding the compiler's messages: a
///   dashboard should show it red, not as skipped tests only.
///
/// An invalid submission is one `<testsuite name="<id>">` whose one test case,
/// `intake`, holds an `<error type="invalid">` with the reason (JUnit readers
/// only look for errors inside test cases).
///
/// Everything from the model is escaped, and characters XML 1.0 does not allow
/// at all (most control characters; terminal colour sequences are dropped
/// whole) are removed: learner output can contain anything, and one stray
/// `\x1b` would make the whole file unreadable to every XML parser.
pub fn junit_xml(report: &GradeReport) -> String {
    let mut suites = String::new();
    let mut total = Counts::default();
    for sub in &report.submissions {
        if sub.status == SubmissionStatus::Invalid {
            let error = sub.error.as_deref().unwrap_or("the submission could not be read");
            let mut cases = String::new();
            case(&mut cases, &sub.id, "intake", 0, &element("error", error, error, "invalid"));
            let counts = Counts { tests: 1, errors: 1, ..Counts::default() };
            suite(&mut suites, &sub.id, &counts, &cases);
            total.add(&counts);
            continue;
        }
        for ex in &sub.exercises {
            let (counts, cases) = exercise_cases(sub, ex);
            suite(&mut suites, &format!("{}/{}", sub.id, ex.name), &counts, &cases);
            total.add(&counts);
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"threadwork grade\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        total.tests,
        total.failures,
        total.errors,
        total.skipped,
        secs(total.ms)
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    ms: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.ms += other.ms;
    }
}

fn exercise_cases(sub: &SubmissionResult, ex: &ExerciseResult) -> (Counts, String) {
    let class = format!("{}.{}", sub.id, ex.name);
    let mut counts = Counts::default();
    let mut cases = String::new();
    if ex.status == ExerciseStatus::CompileError {
        let output = ex.compiler_output.as_deref().unwrap_or("");
        case(
            &mut cases,
            &class,
            "build",
            0,
            &element("error", "the exercise did not compile", output, "compile_error"),
        );
        counts.tests += 1;
        counts.errors += 1;
    }
    // A not-submitted exercise may list its tests (all not run) or none; with
    // none it still gets one skipped case, so every exercise shows up.
    if ex.status == ExerciseStatus::NotSubmitted && ex.tests.is_empty() {
        case(&mut cases, &class, "(not submitted)", 0, &skipped("not submitted"));
        counts.tests += 1;
        counts.skipped += 1;
    }
    for test in &ex.tests {
        counts.tests += 1;
        counts.ms += test.duration_ms;
        let inner = match test.status {
            TestStatus::Passed => String::new(),
            TestStatus::Failed | TestStatus::TimedOut | TestStatus::Crashed => {
                counts.failures += 1;
                let kind = test.category.clone().unwrap_or_else(|| snake(&test.status));
                let message = if test.message.is_empty() { describe(test.status) } else { test.message.as_str() };
                element("failure", message, &test.message, &kind)
            }
            TestStatus::NotRun => {
                counts.skipped += 1;
                skipped(match ex.status {
                    ExerciseStatus::NotSubmitted => "not submitted",
                    ExerciseStatus::CompileError => "not run: the exercise did not compile",
                    _ => "not run",
                })
            }
        };
        case(&mut cases, &class, &test.name, test.duration_ms, &inner);
    }
    (counts, cases)
}

fn suite(out: &mut String, name: &str, counts: &Counts, cases: &str) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        xml_attr(name),
        counts.tests,
        counts.failures,
        counts.errors,
        counts.skipped,
        secs(counts.ms)
    );
    out.push_str(cases);
    out.push_str("  </testsuite>\n");
}

/// One `<testcase>`, self-closing when it passed (`inner` empty).
fn case(out: &mut String, class: &str, name: &str, ms: u64, inner: &str) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        xml_attr(class),
        xml_attr(name),
        secs(ms)
    );
    if inner.is_empty() {
        out.push_str("/>\n");
    } else {
        let _ = write!(out, ">\n{inner}    </testcase>\n");
    }
}

/// `<tag message="<summary's first line>" type="<kind>">body</tag>`: the
/// attribute is what one-line dashboards show, the body keeps everything.
fn element(tag: &str, summary: &str, body: &str, kind: &str) -> String {
    format!(
        "      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n",
        xml_attr(&first_line(summary)),
        xml_attr(kind),
        xml_text(body)
    )
}

fn skipped(why: &str) -> String {
    format!("      <skipped message=\"{}\"/>\n", xml_attr(why))
}

/// The first non-empty line, at most 300 characters: a panic message can be
/// one enormous line, and attributes are for a glance.
fn first_line(text: &str) -> String {
    const MAX: usize = 300;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.chars().count() > MAX { format!("{}…", line.chars().take(MAX).collect::<String>()) } else { line.into() }
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

/// `s` with only the characters worth showing (`shown_chars`).
fn shown(s: &str) -> String {
    shown_chars(s).collect()
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Text content: `&` and `<` escaped (and `>`, so `]]>` cannot appear), and
/// what XML 1.0 forbids removed.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in shown_chars(s) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value in double quotes: as `xml_text`, plus quotes, and tabs
/// and line breaks as character references, which attribute normalization
/// would otherwise turn into spaces.
fn xml_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in shown_chars(s) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
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

/// One submission in Gradescope's autograder format, for
/// `gradescope/<id>/results.json` (and, in issue 10, for
/// `/autograder/results/results.json`).
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
    out
}

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
                    .map(|t| t.category.clone().unwrap_or_else(|| snake(&t.status)))
                    .collect();
                if ex.status == ExerciseStatus::CompileError {
                    kinds.insert(crate::engine::category::COMPILE_ERROR.to_string());
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
    use super::*;
    use crate::grade::model::{FORMAT_VERSION, RunInfo, Suite};

    fn test(name: &str, status: TestStatus, score: f64, max: f64, category: Option<&str>, message: &str) -> TestResult {
        TestResult {
            name: name.into(),
            status,
            score,
            max_score: max,
            duration_ms: 1234,
            category: category.map(Into::into),
            message: message.into(),
            visibility: "visible".into(),
            runs: 1,
        }
    }

    fn exercise(name: &str, status: ExerciseStatus, tests: Vec<TestResult>) -> ExerciseResult {
        ExerciseResult {
            name: name.into(),
            status,
            score: tests.iter().map(|t| t.score).sum(),
            max_score: tests.iter().map(|t| t.max_score).sum(),
            tests,
            build_ms: 0,
            test_cpu_ms: 0,
            compiler_output: None,
        }
    }

    fn graded(id: &str, exercises: Vec<ExerciseResult>) -> SubmissionResult {
        SubmissionResult {
            id: id.into(),
            source: format!("subs/{id}.zip"),
            status: SubmissionStatus::Graded,
            error: None,
            score: exercises.iter().map(|e| e.score).sum(),
            max_score: exercises.iter().map(|e| e.max_score).sum(),
            content_hash: "abc".into(),
            seconds: 1.5,
            exercises,
        }
    }

    const NASTY: &str = "expected <&\"> got \u{1b}[31mred\u{1b}[0m and \u{1b} alone\nsecond line";
    const ODD_ID: &str = "smith, \"jo\"";

    /// Two graded submissions (one with a not-submitted exercise, a compile
    /// error, a timeout and a nasty message, under an id with a comma and a
    /// quote), and one invalid.
    fn report() -> GradeReport {
        let a = graded(
            "alice",
            vec![
                exercise(
                    "counter",
                    ExerciseStatus::Passed,
                    vec![
                        test("increments", TestStatus::Passed, 1.0, 1.0, None, ""),
                        test("no_lost_updates", TestStatus::Passed, 2.0, 2.0, None, ""),
                    ],
                ),
                exercise(
                    "pool",
                    ExerciseStatus::Failed,
                    vec![
                        test("runs_jobs", TestStatus::Passed, 1.5, 1.5, None, ""),
                        test("joins", TestStatus::Failed, 0.0, 1.0, Some("wrong_result"), "left 1 right 2"),
                    ],
                ),
                exercise(
                    "barrier",
                    ExerciseStatus::NotSubmitted,
                    vec![test("waits", TestStatus::NotRun, 0.0, 3.0, None, "")],
                ),
            ],
        );
        let mut broken = exercise(
            "barrier",
            ExerciseStatus::CompileError,
            vec![test("waits", TestStatus::NotRun, 0.0, 3.0, None, "")],
        );
        broken.compiler_output = Some("error[E0308]: mismatched types <T>".into());
        let b = graded(
            ODD_ID,
            vec![
                exercise(
                    "counter",
                    ExerciseStatus::Failed,
                    vec![
                        test("increments", TestStatus::Passed, 1.0, 1.0, None, ""),
                        test("no_lost_updates", TestStatus::TimedOut, 0.0, 2.0, None, ""),
                    ],
                ),
                exercise(
                    "pool",
                    ExerciseStatus::Failed,
                    vec![
                        test("runs_jobs", TestStatus::Crashed, 0.0, 1.5, Some("deadlock"), NASTY),
                        test("joins", TestStatus::Failed, 0.0, 1.0, None, "never joined"),
                    ],
                ),
                broken,
            ],
        );
        let c = SubmissionResult {
            id: "mallory".into(),
            source: "subs/mallory.tgz".into(),
            status: SubmissionStatus::Invalid,
            error: Some("entry ../../etc/passwd escapes the submission <&>".into()),
            score: 0.0,
            max_score: 10.5,
            content_hash: String::new(),
            seconds: 0.0,
            exercises: vec![],
        };
        GradeReport {
            format_version: FORMAT_VERSION,
            suite: Suite { version: "0.1.0".into(), tests_hash: "h".into(), property_seed: "s".into() },
            run: RunInfo {
                started: "2026-01-01T00:00:00Z".into(),
                grader_version: "0.1.0".into(),
                toolchain: "rustc 1.88.0".into(),
                jobs: 2,
                sandbox: Default::default(),
                shard: None,
                candidates: vec![],
            },
            submissions: vec![a, b, c],
        }
    }

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
    fn numbers_have_no_needless_decimals() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(0.1 + 0.2), "0.3");
    }

    #[test]
    fn csv_quotes_line_breaks() {
        let mut r = report();
        r.submissions[0].id = "two\nlines".into();
        let rows = parse_csv(&grades_csv(&r));
        assert_eq!(rows[1][0], "two\nlines");
        assert_eq!(rows.len(), 4);
    }

    /// An element as `check_xml` read it: name, attributes, text.
    type Element = (String, Vec<(String, String)>, String);

    /// Just enough of an XML 1.0 well-formedness check for what `junit_xml`
    /// writes: one root, tags nest and match, attribute values are quoted and
    /// hold no `<`, every `&` starts a known reference, no character XML
    /// forbids. Returns the elements as (name, attributes, text) in order.
    fn check_xml(xml: &str) -> Vec<Element> {
        for c in xml.chars() {
            let ok = matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}');
            assert!(ok, "character XML forbids: {:?}", c);
        }
        fn unescape(s: &str) -> String {
            let mut out = String::new();
            let mut rest = s;
            while let Some(i) = rest.find('&') {
                out.push_str(&rest[..i]);
                let end = rest[i..].find(';').expect("& without ;") + i;
                let c = match &rest[i + 1..end] {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    r if r.starts_with('#') => char::from_u32(r[1..].parse().expect("decimal reference")).unwrap(),
                    r => panic!("unknown entity &{r};"),
                };
                out.push(c);
                rest = &rest[end + 1..];
            }
            out + rest
        }
        let body = xml.strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").expect("XML declaration");
        let mut elements: Vec<Element> = vec![];
        let mut stack: Vec<(String, usize)> = vec![];
        let mut roots = 0;
        let mut rest = body;
        while !rest.is_empty() {
            let lt = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..lt];
            assert!(!text.contains("]]>"), "]]> in text");
            let text = unescape(text);
            if stack.is_empty() {
                assert!(text.trim().is_empty(), "text outside the root: {text:?}");
            } else if let Some(&(_, idx)) = stack.last() {
                elements[idx].2.push_str(&text);
            }
            rest = &rest[lt..];
            if rest.is_empty() {
                break;
            }
            // A tag: scan to its closing '>' outside quotes.
            let mut end = None;
            let mut quote = None;
            for (i, c) in rest.char_indices().skip(1) {
                match (quote, c) {
                    (None, '"') | (None, '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), '<') => panic!("raw < in an attribute value: {}", &rest[..i + 1]),
                    (None, '<') => panic!("< inside a tag: {}", &rest[..i + 1]),
                    (None, '>') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.expect("unclosed tag");
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let (open, _) = stack.pop().expect("close without open");
                assert_eq!(open, name.trim(), "mismatched close tag");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
            let name = &tag[..name_end];
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "name {name:?}");
            let mut attrs = vec![];
            let mut a = tag[name_end..].trim_start();
            while !a.is_empty() {
                let eq = a.find('=').expect("attribute without =");
                let key = a[..eq].trim().to_string();
                assert!(a[eq + 1..].starts_with('"'), "unquoted attribute {key}");
                let close = a[eq + 2..].find('"').expect("unterminated attribute") + eq + 2;
                let raw = &a[eq + 2..close];
                assert!(!raw.contains('<'), "raw < in attribute {key}");
                assert!(!attrs.iter().any(|(k, _)| *k == key), "attribute {key} twice");
                attrs.push((key, unescape(raw)));
                a = a[close + 1..].trim_start();
            }
            if stack.is_empty() {
                roots += 1;
            }
            elements.push((name.to_string(), attrs, String::new()));
            if !self_closing {
                stack.push((name.to_string(), elements.len() - 1));
            }
        }
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
        assert_eq!(roots, 1, "exactly one root element");
        elements
    }

    fn attr<'a>(e: &'a Element, key: &str) -> &'a str {
        e.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {key} on {e:?}"))
    }

    #[test]
    fn junit_is_well_formed_and_escapes_learner_output() {
        let xml = junit_xml(&report());
        let elements = check_xml(&xml);
        assert!(!xml.contains('\u{1b}'), "ESC must not reach the XML");
        assert!(!xml.contains("[31m"), "colour sequences are dropped whole");

        let suites: Vec<&str> = elements.iter().filter(|e| e.0 == "testsuite").map(|e| attr(e, "name")).collect();
        let odd = |ex: &str| format!("{ODD_ID}/{ex}");
        assert_eq!(
            suites,
            ["alice/counter", "alice/pool", "alice/barrier", &odd("counter"), &odd("pool"), &odd("barrier"), "mallory"]
        );

        let root = &elements[0];
        assert_eq!(root.0, "testsuites");
        assert_eq!(attr(root, "tests"), "12");
        assert_eq!(attr(root, "failures"), "4");
        assert_eq!(attr(root, "errors"), "2");
        assert_eq!(attr(root, "skipped"), "2");

        // The crashed test: the category as type, the message read back whole
        // but for what XML cannot hold.
        let i = elements
            .iter()
            .position(|e| {
                e.0 == "testcase" && attr(e, "name") == "runs_jobs" && attr(e, "classname") == format!("{ODD_ID}.pool")
            })
            .expect("the crashed test case");
        assert_eq!(attr(&elements[i], "time"), "1.234");
        let failure = &elements[i + 1];
        assert_eq!(failure.0, "failure");
        assert_eq!(attr(failure, "type"), "deadlock");
        assert_eq!(attr(failure, "message"), "expected <&\"> got red and  alone");
        assert_eq!(failure.2, "expected <&\"> got red and  alone\nsecond line");

        // A timeout with no category is typed by its status.
        assert!(elements.iter().any(|e| e.0 == "failure" && attr(e, "type") == "timed_out"));
        // The compile error is an error with the compiler's words.
        let build = elements.iter().find(|e| e.0 == "error" && attr(e, "type") == "compile_error").unwrap();
        assert_eq!(build.2, "error[E0308]: mismatched types <T>");
        // Not run means skipped.
        assert_eq!(elements.iter().filter(|e| e.0 == "skipped").count(), 2);
        // The invalid submission: one suite, one case, one error.
        let m = elements.iter().position(|e| e.0 == "testsuite" && attr(e, "name") == "mallory").unwrap();
        assert_eq!(elements[m + 1].0, "testcase");
        assert_eq!(elements[m + 2].0, "error");
        assert_eq!(attr(&elements[m + 2], "type"), "invalid");
        assert_eq!(elements[m + 2].2, "entry ../../etc/passwd escapes the submission <&>");
        assert_eq!(elements.len(), m + 3);
    }

    #[test]
    fn xml_drops_what_xml_1_0_forbids() {
        assert_eq!(xml_text("a\u{0}b\u{8}c\u{fffe}\td\r\ne"), "abc\td\r\ne");
        assert_eq!(xml_attr("a\tb\nc"), "a&#9;b&#10;c");
        assert_eq!(xml_text("\u{1b}[1;31mbold\u{1b}[0m \u{1b}"), "bold ");
        assert_eq!(xml_text("é😀\u{7f}"), "é😀\u{7f}");
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

    #[test]
    fn gradescope_folders_stay_inside_and_do_not_collide() {
        let mut subs = report().submissions;
        subs[0].id = "..".into();
        subs[1].id = "a/b".into();
        subs[2].id = "A_B".into();
        assert_eq!(gradescope_dirs(&subs), ["_..", "a_b", "A_B~2"]);
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
