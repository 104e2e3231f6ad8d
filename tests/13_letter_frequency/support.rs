//! The one-thread model every answer is compared with, and a way to say how
//! two counts differ.

use std::collections::{BTreeMap, HashMap};
use testkit::prelude::*;

/// The contract, counted on one thread: every alphabetic char, counted as
/// each char of its lowercase.
pub fn model(input: &[&str]) -> HashMap<char, usize> {
    let mut counts = HashMap::new();
    for text in input {
        for c in text.chars().filter(|c| c.is_alphabetic()) {
            for lower in c.to_lowercase() {
                *counts.entry(lower).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Calls `frequency` on a thread of its own and gives up after a deadline,
/// so that an answer that hangs fails with an explanation.
pub fn frequency_within(input: &[&str], workers: usize) -> HashMap<char, usize> {
    let owned: Vec<String> = input.iter().map(|s| s.to_string()).collect();
    let count = input.len();
    within(GENEROUS, move || {
        let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
        letter_frequency::frequency(&borrowed, workers)
    })
    .unwrap_or_else(|| {
        failing_means(Category::Timeout);
        panic!(
            "frequency did not return within 5 s for {count} text(s) and {workers} worker(s). Check that every \
             thread you start ends (and is joined), and that nothing waits for a message that never comes."
        )
    })
}

/// The differences between what the answer counted and what it should have
/// counted, at most `shown` of them, as "'a': 3 (expected 2)".
pub fn differences(got: &HashMap<char, usize>, expected: &HashMap<char, usize>, shown: usize) -> String {
    let mut diffs = BTreeMap::new();
    for (c, &n) in expected {
        let g = got.get(c).copied().unwrap_or(0);
        if g != n {
            diffs.insert(*c, (g, n));
        }
    }
    for (c, &g) in got {
        if !expected.contains_key(c) {
            diffs.insert(*c, (g, 0));
        }
    }
    let mut parts: Vec<String> =
        diffs.iter().take(shown).map(|(c, (g, n))| format!("{c:?} counted {g} (expected {n})")).collect();
    if diffs.len() > shown {
        parts.push(format!("and {} more", diffs.len() - shown));
    }
    parts.join(", ")
}

/// What a difference most likely means, for the learner.
pub fn diagnose(got: &HashMap<char, usize>, expected: &HashMap<char, usize>) -> &'static str {
    if got.keys().any(|c| !c.is_alphabetic() && !expected.contains_key(c)) {
        "Something that is not a letter was counted: count only chars for which `char::is_alphabetic()` holds."
    } else if got.keys().any(|c| c.is_uppercase() && !expected.contains_key(c)) {
        "An upper-case letter was counted as itself: count each letter as the chars of its `to_lowercase()`."
    } else if got.values().sum::<usize>() < expected.values().sum::<usize>() {
        "Letters are missing: check that every text is counted, whatever the number of texts and workers \
         (a remainder left over when they do not divide evenly is a common loss), and that every char of \
         `to_lowercase()` is counted, not only the first."
    } else {
        "Letters were counted more than once or under the wrong char: every text must be counted exactly once, \
         and every letter as each char of its `to_lowercase()` (not `to_ascii_lowercase`)."
    }
}

/// Fails the test with a message that says what differs and what it means.
#[track_caller]
pub fn assert_counts(got: &HashMap<char, usize>, expected: &HashMap<char, usize>, situation: &str) {
    if got != expected {
        panic!("{situation}: {}. {}", differences(got, expected, 6), diagnose(got, expected));
    }
}
