//! MUTANT: Splits the texts into worker_count parts of len / worker_count each, so the texts left over when they do not divide evenly are never counted.
//! CATEGORY: wrong_result

use std::collections::HashMap;

pub fn frequency(input: &[&str], worker_count: usize) -> HashMap<char, usize> {
    let per = input.len() / worker_count;
    let parts: Vec<HashMap<char, usize>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..worker_count).map(|w| s.spawn(move || count(&input[w * per..(w + 1) * per]))).collect();
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
