//! MUTANT: Counts into one static map shared by every call, cleared at the start of each, so calls running at the same time mix their counts.
//! CATEGORY: lost_update

use std::collections::HashMap;
use std::sync::Mutex;

static TALLY: Mutex<Option<HashMap<char, usize>>> = Mutex::new(None);

pub fn frequency(input: &[&str], worker_count: usize) -> HashMap<char, usize> {
    *TALLY.lock().unwrap() = Some(HashMap::new());
    let size = input.len().div_ceil(worker_count.max(1)).max(1);
    std::thread::scope(|s| {
        for part in input.chunks(size) {
            s.spawn(move || {
                for text in part {
                    for c in text.chars().filter(|c| c.is_alphabetic()) {
                        for lower in c.to_lowercase() {
                            let mut tally = TALLY.lock().unwrap();
                            *tally.get_or_insert_with(HashMap::new).entry(lower).or_insert(0) += 1;
                        }
                    }
                }
            });
        }
    });
    TALLY.lock().unwrap().clone().unwrap_or_default()
}
