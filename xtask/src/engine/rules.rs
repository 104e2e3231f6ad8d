//! Rules of construction, checked from the learner's source.
//!
//! A few exercises are about *how* the code is built, not only what it does:
//! exercise 05 must use atomics, with no lock or channel of any kind. Such a
//! rule is declared in `exercises/info.toml`:
//!
//! ```toml
//! [exercise.rules.no_locks]
//! forbid = ["Mutex", "RwLock", "Condvar", "mpsc", "crossbeam_channel"]
//! explanation = "This exercise is about atomics: ..."
//! ```
//!
//! The check splits every `.rs` file under the learner's `src/` into tokens
//! with proc-macro2, the lexer syn is built on. It looks at identifiers
//! only, so comments and string literals never trip it, while paths, `use`
//! lines and the insides of macro calls do. Each rule becomes one more test
//! line, `rule_<name>`, passed or failed with the rule's explanation and the
//! places it found. A broken rule is a failed check, never a compile error.

use crate::engine::course::{Course, Exercise, Rule};
use crate::engine::outcome::{TestOutcome, TestStatus};
use proc_macro2::{TokenStream, TokenTree};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// At most this many offending places are listed in a message.
pub(crate) const PLACES_SHOWN: usize = 3;

/// Checks every rule of `ex` against the sources in `src_dir`.
pub fn check_rules(course: &Course, ex: &Exercise, src_dir: &Path) -> Vec<TestOutcome> {
    let files = rust_files(src_dir);
    ex.rules
        .iter()
        .map(|(name, rule)| {
            let started = Instant::now();
            let mut places = Vec::new();
            for file in &files {
                let shown = course.relativize(&file.to_string_lossy());
                // A file that is unreadable or not even tokens is skipped: the
                // compiler has already said so, and a rule must never fail a
                // correct answer.
                if let Some(tokens) =
                    std::fs::read_to_string(file).ok().and_then(|text| text.parse::<TokenStream>().ok())
                {
                    find_forbidden(tokens, rule, &shown, &mut places);
                }
            }
            let test_name = format!("rule_{name}");
            let (status, message, location) = if places.is_empty() {
                (TestStatus::Passed, String::new(), None)
            } else {
                let mut message = rule.explanation.trim().to_string();
                for (ident, place) in places.iter().take(PLACES_SHOWN) {
                    message.push_str(&format!("\nfound `{ident}` at {place}"));
                }
                if places.len() > PLACES_SHOWN {
                    message.push_str(&format!("\n(and {} more places)", places.len() - PLACES_SHOWN));
                }
                (TestStatus::Failed, message, places.first().map(|(_, p)| p.clone()))
            };
            TestOutcome {
                weight: course.weight(ex, &test_name),
                name: test_name,
                category: (status == TestStatus::Failed)
                    .then_some(crate::engine::category::Category::ForbiddenConstruct),
                status,
                message,
                location,
                duration: started.elapsed(),
                cpu: std::time::Duration::ZERO,
                learner_panics: Vec::new(),
                output_bytes: 0,
                stderr_tail: String::new(),
            }
        })
        .collect()
}

fn find_forbidden(tokens: TokenStream, rule: &Rule, file: &str, places: &mut Vec<(String, String)>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                let text = text.strip_prefix("r#").unwrap_or(&text);
                if rule.forbid.iter().any(|f| f == text) {
                    let start = ident.span().start();
                    places.push((text.to_string(), format!("{file}:{}:{}", start.line, start.column + 1)));
                }
            }
            TokenTree::Group(group) => find_forbidden(group.stream(), rule, file, places),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// Every `.rs` file under `dir`, in a stable order (also what `reach` scans).
pub(crate) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(source: &str, forbid: &[&str]) -> Vec<(String, String)> {
        let rule = Rule { forbid: forbid.iter().map(|s| s.to_string()).collect(), explanation: String::new() };
        let mut places = Vec::new();
        find_forbidden(source.parse().unwrap(), &rule, "lib.rs", &mut places);
        places
    }

    #[test]
    fn finds_paths_uses_and_macro_insides_with_their_lines() {
        let src = "use std::sync::Mutex;\nfn f() { let m = std::sync::RwLock::new(0); vec![Mutex::new(1)]; }";
        let found = places(src, &["Mutex", "RwLock"]);
        let found: Vec<String> = found.iter().map(|(i, p)| format!("{i}@{p}")).collect();
        assert_eq!(found, ["Mutex@lib.rs:1:16", "RwLock@lib.rs:2:29", "Mutex@lib.rs:2:50"]);
    }

    #[test]
    fn comments_strings_and_longer_names_are_not_uses() {
        let src =
            "// a Mutex would be wrong here\n/// no RwLock\nfn f() -> &'static str { let mutex_free = 1; \"Mutex\" }";
        assert!(places(src, &["Mutex", "RwLock"]).is_empty());
    }

    #[test]
    fn raw_identifiers_count_as_their_name() {
        assert_eq!(places("fn f() { r#Mutex(); }", &["Mutex"]).len(), 1);
    }
}
