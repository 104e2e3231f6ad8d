//! Random lists of random Unicode texts, compared with a one-thread count.

use crate::support::{differences, frequency_within, model};
use proptest::collection::vec;
use proptest::prelude::*;
use testkit::prelude::{Category, failing_means};

/// Chars that exercise every rule: ASCII of both cases, digits and
/// punctuation, letters of other scripts, letters whose lowercase is longer
/// or differs oddly, marks, emoji, and anything at all.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::char::range('a', 'z'),
        3 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
        1 => prop::sample::select(vec![' ', ',', '.', '!', '\n', '_', '\u{307}', '🦀', '½', '٣']),
        2 => prop::sample::select(vec!['Ä', 'ä', 'Ö', 'ß', 'ẞ', 'İ', 'ı', 'Σ', 'σ', 'ς', 'Ж', 'ж', 'ǅ', 'Ω', 'K', '字']),
        2 => any::<char>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    vec(interesting_char(), 0..24).prop_map(|chars| chars.into_iter().collect())
}

testkit::hidden_tests! {
    fn agrees_with_a_one_thread_count_on_random_unicode_texts() {
        failing_means(Category::WrongResult);
        testkit::property::check_property(
            "agrees_with_a_one_thread_count_on_random_unicode_texts",
            200,
            (vec(text(), 0..12), 1usize..=8),
            "frequency disagreed with a plain one-thread count on random texts. Count only chars that are \
             `char::is_alphabetic()`, count each as every char of its `to_lowercase()`, and count every text \
             exactly once whatever the number of texts and workers.",
            |(texts, workers)| {
                let input: Vec<&str> = texts.iter().map(String::as_str).collect();
                let expected = model(&input);
                let got = frequency_within(&input, workers);
                prop_assert!(got == expected, "with {} worker(s): {}", workers, differences(&got, &expected, 4));
                Ok(())
            },
        );
    }
}
