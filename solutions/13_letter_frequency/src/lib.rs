//! Exercise 13, reference solution: rayon in a pool of `worker_count`
//! threads, each counting whole texts into a map of its own, the maps added
//! together at the end.
//!
//! Another correct answer: `std::thread::scope` over
//! `input.chunks(input.len().div_ceil(worker_count))`, one map per chunk,
//! merged after the joins. Both give every thread its own data to work on
//! and share nothing until the end, which is why neither needs a lock.

use rayon::prelude::*;
use std::collections::HashMap;

/// Counts the letters in all of `input`: every char for which
/// `char::is_alphabetic` holds, counted as each char of its `to_lowercase()`.
/// Uses up to `worker_count` threads, with rayon or with std threads.
pub fn frequency(input: &[&str], worker_count: usize) -> HashMap<char, usize> {
    // A pool of our own, so that "up to worker_count threads" holds whatever
    // the machine's core count (rayon's global pool has one thread per
    // core). Zero workers is read as one: there is no work without a thread.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(worker_count.max(1))
        .build()
        .expect("could not start the counting threads");
    pool.install(|| {
        input
            .par_iter()
            // Each rayon task folds texts into a map of its own: no sharing,
            // so no lock, while the counting runs...
            .fold(HashMap::new, |mut counts, text| {
                count_into(&mut counts, text);
                counts
            })
            // ...and the per-task maps are added together pairwise at the end.
            .reduce(HashMap::new, merge)
    })
}

/// Adds the letters of one text to `counts`.
fn count_into(counts: &mut HashMap<char, usize>, text: &str) {
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        // `to_lowercase` yields one char for most letters, but more for some:
        // 'İ' (capital I with a dot) becomes 'i' followed by a combining dot.
        for lower in c.to_lowercase() {
            *counts.entry(lower).or_insert(0) += 1;
        }
    }
}

/// Adds the smaller map into the larger one.
fn merge(mut a: HashMap<char, usize>, mut b: HashMap<char, usize>) -> HashMap<char, usize> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (c, n) in b {
        *a.entry(c).or_insert(0) += n;
    }
    a
}
