//! `junit.xml`, for CI dashboards and anything else that reads JUnit.

use super::{describe, shown_chars, snake};
use crate::grade::model::{
    ExerciseResult, ExerciseStatus, GradeReport, SubmissionResult, SubmissionStatus, TestStatus,
};
use std::fmt::Write as _;

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
///
/// Written by hand, not with `quick-junit` (nextest's writer): that one
/// orders and indents differently, adds `disabled`, has no `skipped` counts
/// and never self-closes a passed test, so the file graders' scripts read
/// would change, and it brings a dozen crates with it.
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
                let kind = test.category.map_or_else(|| snake(&test.status), |c| c.as_str().to_string());
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

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Text content: `&` and `<` escaped (and `>`, so `]]>` cannot appear), and
/// what XML 1.0 forbids removed.
fn xml_text(s: &str) -> String {
    escaped(s, false)
}

/// An attribute value in double quotes: as `xml_text`, plus quotes, and tabs
/// and line breaks as character references, which attribute normalization
/// would otherwise turn into spaces.
fn xml_attr(s: &str) -> String {
    escaped(s, true)
}

fn escaped(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in shown_chars(s) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{ODD_ID, report};
    use super::*;

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
}
