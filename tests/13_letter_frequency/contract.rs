//! What a letter is, how it is counted, and that every text is counted once
//! however texts and workers divide.

use crate::support::{assert_counts, frequency_within, model};
use std::collections::HashMap;
use testkit::prelude::{Category, failing_means};

/// `[('a', 2), ...]` as a map.
fn counts(pairs: &[(char, usize)]) -> HashMap<char, usize> {
    pairs.iter().copied().collect()
}

testkit::hidden_tests! {
    fn no_texts_give_no_letters() {
        failing_means(Category::WrongResult);
        for workers in [1, 4] {
            let got = frequency_within(&[], workers);
            assert!(
                got.is_empty(),
                "with no texts and {workers} worker(s), frequency returned {got:?}; it must return an empty map \
                 (and not divide by zero or ask `chunks` for parts of size 0)"
            );
        }
    }

    fn upper_and_lower_case_count_as_one_letter() {
        failing_means(Category::WrongResult);
        let got = frequency_within(&["aA", "Bb", "CCc"], 2);
        assert_counts(
            &got,
            &counts(&[('a', 2), ('b', 2), ('c', 3)]),
            "for [\"aA\", \"Bb\", \"CCc\"] the counts were wrong",
        );
    }

    fn only_letters_are_counted() {
        failing_means(Category::WrongResult);
        let text = "Hello, World! 123 _-+=\t\n#$%&*()[]{} 🦀 ½ ٣";
        let got = frequency_within(&[text], 1);
        assert_counts(
            &got,
            &counts(&[('h', 1), ('e', 1), ('l', 3), ('o', 2), ('w', 1), ('r', 1), ('d', 1)]),
            "for a text of letters mixed with digits, punctuation, spaces and an emoji the counts were wrong",
        );
    }

    fn letters_beyond_ascii_are_letters_too() {
        failing_means(Category::WrongResult);
        // German, Russian, Greek and Chinese letters; 'ẞ' (capital sharp s)
        // lowers to 'ß'.
        let texts = ["Äpfel ÄÖÜ äöü", "Жук жук", "ΣΑΣ σας", "字字", "ẞß"];
        let got = frequency_within(&texts, 3);
        assert_counts(&got, &model(&texts), "for texts in German, Russian, Greek and Chinese the counts were wrong");
    }

    fn a_letter_whose_lowercase_is_two_chars_counts_both() {
        failing_means(Category::WrongResult);
        // 'İ' lowers to "i\u{307}": an 'i' and a combining dot above.
        let got = frequency_within(&["İi"], 1);
        assert_counts(
            &got,
            &counts(&[('i', 2), ('\u{307}', 1)]),
            "for \"İi\" the counts were wrong ('İ'.to_lowercase() yields two chars, 'i' and U+0307, and both count)",
        );
    }

    fn every_text_counts_however_texts_and_workers_divide() {
        failing_means(Category::WrongResult);
        // Each text is a different letter, so a lost or doubled text shows
        // as exactly that letter.
        let letters: Vec<String> = ('a'..='z').map(|c| c.to_string().repeat(3)).collect();
        for texts in 1..=13usize {
            let input: Vec<&str> = letters[..texts].iter().map(String::as_str).collect();
            for workers in 1..=6usize {
                let got = frequency_within(&input, workers);
                assert_counts(
                    &got,
                    &model(&input),
                    &format!("with {texts} text(s) and {workers} worker(s) the counts were wrong"),
                );
            }
        }
    }

    fn more_workers_than_texts() {
        failing_means(Category::WrongResult);
        let input = ["ab", "cd"];
        for workers in [3, 8, 64] {
            let got = frequency_within(&input, workers);
            assert_counts(
                &got,
                &model(&input),
                &format!("with 2 texts and {workers} workers (more workers than texts) the counts were wrong"),
            );
        }
    }

    fn many_texts_on_many_workers() {
        failing_means(Category::WrongResult);
        let texts: Vec<String> = (0..500).map(|i| format!("Text number {i}: The Quick Brown Fox ÆØÅ!")).collect();
        let input: Vec<&str> = texts.iter().map(String::as_str).collect();
        let got = frequency_within(&input, 4);
        assert_counts(&got, &model(&input), "for 500 texts on 4 workers the counts were wrong");
    }
}
