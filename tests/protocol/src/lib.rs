//! What a hidden test binary's harness (`threadwork-testkit`) and the runner
//! (`xtask`) say to each other, defined once for both sides.
//!
//! * The environment the runner gives a test process: [`RESULT_ENV`] names
//!   the result file, [`NONCE_FD_ENV`] the pipe that carries the nonce the
//!   result must repeat, [`STACKS_FD_ENV`] the socket through which the test
//!   asks its supervisor for its threads' stacks.
//! * The result file: one JSON object, a [`ResultFile`], which the harness
//!   writes with [`ResultFile::to_json`] and the runner reads with serde (the
//!   `serde` feature). Its fields (format [`FORMAT_VERSION`]): `format_version`,
//!   `nonce`, `test`, `status` ([`Status`]: `"passed"` or `"failed"`),
//!   `message` (the panic message that failed the test), `location`
//!   (`file:line:col` of that panic), `panics` (every panic seen in the
//!   process, on any thread, as [`PanicRecord`]s `{thread, location,
//!   message}`), and, for a failed test that declared one, `category`.
//! * [`Category`]: the fixed list of kinds of mistake a failure names
//!   (explained in `tests/categories.toml`).
//!
//! The crate has no required dependencies, since every hidden test build
//! compiles it: the harness encodes JSON by hand.
#![warn(missing_docs)]

/// The environment variable that names the result file.
pub const RESULT_ENV: &str = "THREADWORK_RESULT";

/// The environment variable that names the descriptor of the pipe that
/// carries the nonce the result must repeat.
pub const NONCE_FD_ENV: &str = "THREADWORK_NONCE_FD";

/// The environment variable that names the test process's end of the socket
/// through which it asks its supervisor for its threads' stacks.
pub const STACKS_FD_ENV: &str = "THREADWORK_STACKS_FD";

/// The `format_version` of the result files this crate describes.
pub const FORMAT_VERSION: u32 = 1;

/// One kind of concurrency mistake, from the course's fixed list.
/// `tests/categories.toml` explains each one to the learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// The code returned or did something the exercise does not ask for.
    WrongResult,
    /// Two read-modify-writes interleaved and one write overwrote the other.
    LostUpdate,
    /// A condition was checked, then acted on, in two separate steps.
    CheckThenAct,
    /// A thread waits for a change that already happened, or a wake-up went to nobody.
    LostWakeup,
    /// Threads each hold something another needs, and none can go on.
    Deadlock,
    /// A thread outlived the call that started it.
    LeakedThread,
    /// A thread waits by checking a condition over and over.
    BusyWait,
    /// Asked to stop (a cancel signal, a closed channel, a deadline), the code kept going.
    IgnoredCancellation,
    /// Work that should overlap ran one piece at a time.
    NotConcurrent,
    /// More ran at once than the exercise allows, or work that must happen one
    /// at a time overlapped.
    TooConcurrent,
    /// Results came back, or things happened, in the wrong order.
    Order,
    /// A panic went the wrong way: the code under test panicked (or the process
    /// crashed) where it should not, or swallowed one the caller should see.
    Panic,
    /// The test did not finish within its time (the runner's word).
    Timeout,
    /// The code did not compile (the runner's word).
    CompileError,
    /// The code uses a construct the exercise forbids (the runner's word).
    ForbiddenConstruct,
}

impl Category {
    /// Every category, in the order the documentation lists them.
    pub const ALL: [Category; 15] = [
        Category::WrongResult,
        Category::LostUpdate,
        Category::CheckThenAct,
        Category::LostWakeup,
        Category::Deadlock,
        Category::LeakedThread,
        Category::BusyWait,
        Category::IgnoredCancellation,
        Category::NotConcurrent,
        Category::TooConcurrent,
        Category::Order,
        Category::Panic,
        Category::Timeout,
        Category::CompileError,
        Category::ForbiddenConstruct,
    ];

    /// The name result files, reports and `tests/categories.toml` use
    /// (`lost_update`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::WrongResult => "wrong_result",
            Category::LostUpdate => "lost_update",
            Category::CheckThenAct => "check_then_act",
            Category::LostWakeup => "lost_wakeup",
            Category::Deadlock => "deadlock",
            Category::LeakedThread => "leaked_thread",
            Category::BusyWait => "busy_wait",
            Category::IgnoredCancellation => "ignored_cancellation",
            Category::NotConcurrent => "not_concurrent",
            Category::TooConcurrent => "too_concurrent",
            Category::Order => "order",
            Category::Panic => "panic",
            Category::Timeout => "timeout",
            Category::CompileError => "compile_error",
            Category::ForbiddenConstruct => "forbidden_construct",
        }
    }

    /// The same as [`Category::as_str`] (the test kit's older name for it).
    pub const fn name(self) -> &'static str {
        self.as_str()
    }

    /// The category named `name` (as [`Category::as_str`] spells it), if any.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether a failure of this kind usually leaves threads blocked or
    /// running, so that their stacks say where the mistake is: the harness
    /// then asks its supervisor for them before it exits.
    pub const fn leaves_threads_behind(self) -> bool {
        matches!(
            self,
            Category::Deadlock
                | Category::LostWakeup
                | Category::LeakedThread
                | Category::BusyWait
                | Category::IgnoredCancellation
        )
    }
}

/// What the test body did, as the result file's `status` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The body returned.
    Passed,
    /// The body panicked.
    Failed,
}

impl Status {
    /// The name the result file uses (`passed`, `failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
        }
    }

    /// The status named `name` (as [`Status::as_str`] spells it), if any.
    pub fn from_name(name: &str) -> Option<Status> {
        [Status::Passed, Status::Failed].into_iter().find(|s| s.as_str() == name)
    }
}

/// A panic seen in the test process, on any thread, as the harness recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PanicRecord {
    /// The name of the thread that panicked (`<unnamed>` without one).
    pub thread: String,
    /// Where: `file:line:col`, or empty when unknown.
    pub location: String,
    /// The panic's message.
    pub message: String,
}

/// The outcome of one test as the harness reports it to the runner: the
/// result file's one JSON object. See the crate documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResultFile {
    /// [`FORMAT_VERSION`] when the harness wrote it.
    pub format_version: u32,
    /// The nonce the runner gave this run, repeated.
    pub nonce: String,
    /// The test's name.
    pub test: String,
    /// Whether the body returned or panicked.
    pub status: Status,
    /// The message of the panic that failed the test; empty for a pass.
    pub message: String,
    /// Where that panic happened (`file:line:col`); empty for a pass, or
    /// when unknown.
    pub location: String,
    /// Every panic seen in the process, in order, on any thread (the harness
    /// keeps a bounded number).
    pub panics: Vec<PanicRecord>,
    /// What a failed test declared its failure means, if it did; the field
    /// is left out when there is none.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub category: Option<Category>,
}

impl ResultFile {
    /// The result file's text: one JSON object on one line, fields in the
    /// documented order, `category` only when there is one.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128 + self.message.len());
        out.push_str("{\"format_version\":");
        out.push_str(&self.format_version.to_string());
        out.push_str(",\"nonce\":");
        push_json_string(&mut out, &self.nonce);
        out.push_str(",\"test\":");
        push_json_string(&mut out, &self.test);
        out.push_str(",\"status\":");
        push_json_string(&mut out, self.status.as_str());
        out.push_str(",\"message\":");
        push_json_string(&mut out, &self.message);
        out.push_str(",\"location\":");
        push_json_string(&mut out, &self.location);
        out.push_str(",\"panics\":[");
        for (i, p) in self.panics.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"thread\":");
            push_json_string(&mut out, &p.thread);
            out.push_str(",\"location\":");
            push_json_string(&mut out, &p.location);
            out.push_str(",\"message\":");
            push_json_string(&mut out, &p.message);
            out.push('}');
        }
        out.push(']');
        if let Some(category) = self.category {
            out.push_str(",\"category\":");
            push_json_string(&mut out, category.as_str());
        }
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string literal: quotes, backslashes and control
/// characters escaped, everything else (non-ASCII too) as it is.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Categories and statuses travel as their names, so that [`Category::as_str`]
/// and [`Status::as_str`] stay the one spelling.
#[cfg(feature = "serde")]
mod serde_names {
    use super::{Category, Status};
    use serde::de::{Deserialize, Deserializer, Error};
    use serde::ser::{Serialize, Serializer};

    impl Serialize for Category {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(self.as_str())
        }
    }

    impl<'de> Deserialize<'de> for Category {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let name = String::deserialize(deserializer)?;
            Category::from_name(&name).ok_or_else(|| D::Error::custom(format!("`{name}` is not a category")))
        }
    }

    impl Serialize for Status {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(self.as_str())
        }
    }

    impl<'de> Deserialize<'de> for Status {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let name = String::deserialize(deserializer)?;
            Status::from_name(&name).ok_or_else(|| D::Error::custom(format!("`{name}` is not a test status")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_names_are_distinct_snake_case_and_read_back() {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
            assert!(!names[..i].contains(n), "{n} twice");
        }
        for c in Category::ALL {
            assert_eq!(Category::from_name(c.as_str()), Some(c));
            assert_eq!(c.name(), c.as_str());
        }
        assert_eq!(Category::from_name("Lost_Update"), None);
        for s in [Status::Passed, Status::Failed] {
            assert_eq!(Status::from_name(s.as_str()), Some(s));
        }
    }

    #[test]
    fn json_strings_escape_quotes_controls_and_keep_unicode() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\u{1}é\u{1f}\u{7f}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\\u001f\u{7f}\"");
    }

    #[test]
    fn a_pass_has_no_category_and_a_failure_names_one() {
        let mut file = ResultFile {
            format_version: FORMAT_VERSION,
            nonce: "n".into(),
            test: "t".into(),
            status: Status::Passed,
            message: String::new(),
            location: String::new(),
            panics: vec![],
            category: None,
        };
        assert_eq!(
            file.to_json(),
            r#"{"format_version":1,"nonce":"n","test":"t","status":"passed","message":"","location":"","panics":[]}"#
        );
        file.status = Status::Failed;
        file.category = Some(Category::LostUpdate);
        file.panics = vec![PanicRecord { thread: "main".into(), location: "a.rs:1:2".into(), message: "m".into() }; 2];
        assert_eq!(
            file.to_json(),
            r#"{"format_version":1,"nonce":"n","test":"t","status":"failed","message":"","location":"","panics":[{"thread":"main","location":"a.rs:1:2","message":"m"},{"thread":"main","location":"a.rs:1:2","message":"m"}],"category":"lost_update"}"#
        );
    }
}
