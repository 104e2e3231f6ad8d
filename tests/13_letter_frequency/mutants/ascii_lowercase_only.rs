//! MUTANT: Lowers letters with to_ascii_lowercase, so 'Ä' and 'Ж' keep their capital and count apart from 'ä' and 'ж'.
//! CATEGORY: wrong_result

use std::collections::HashMap;

pub fn frequency(input: &[&str], worker_count: usize) -> HashMap<char, usize> {
    let size = input.len().div_ceil(worker_count.max(1)).max(1);
    let parts: Vec<HashMap<char, usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = input.chunks(size).map(|part| s.spawn(move || count(part))).collect();
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
            for lower in std::iter::once(c.to_ascii_lowercase()) {
                *counts.entry(lower).or_insert(0) += 1;
            }
        }
    }
    counts
}
