//! MUTANT: Asks chunks() for parts of len / worker_count texts, which is 0 when there are more workers than texts, and chunks(0) panics.
//! CATEGORY: panic

use std::collections::HashMap;

pub fn frequency(input: &[&str], worker_count: usize) -> HashMap<char, usize> {
    let parts: Vec<HashMap<char, usize>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            input.chunks(input.len() / worker_count).map(|part| s.spawn(move || count(part))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut total = HashMap::new();
    for part in parts {
        for (c, n) in part {
            *total.entry(c).or_insert(0) += n;
        }
    }
    total
}

fn count(part: &[&str]) -> HashMap<char, usize> {
    let mut counts = HashMap::new();
    for text in part {
        for c in text.chars().filter(|c| c.is_alphabetic()) {
            for lower in c.to_lowercase() {
                *counts.entry(lower).or_insert(0) += 1;
            }
        }
    }
    counts
}
