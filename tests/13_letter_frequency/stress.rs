//! Several calls at once: each must count its own input, exactly.

use crate::support::{differences, model};
use testkit::prelude::*;

hidden_tests! {
    fn calls_running_at_the_same_time_each_count_their_own_texts() {
        // Threads released together by a barrier each call `frequency` on a
        // different input, round after round. Counts kept anywhere but in
        // the call itself (a static map, say) mix the calls up.
        failing_means(Category::LostUpdate);
        const CALLERS: usize = 4;
        const ROUNDS: usize = 40;
        let inputs: Vec<Vec<String>> = (0..CALLERS)
            .map(|k| {
                let letter = char::from(b'a' + k as u8);
                (0..(7 + k)).map(|i| format!("{}{}", letter.to_string().repeat(i + 1), "Z. ")).collect()
            })
            .collect();
        let inputs = Arc::new(inputs);
        let barrier = Arc::new(Barrier::new(CALLERS));
        let handles: Vec<_> = (0..CALLERS)
            .map(|k| {
                let (inputs, barrier) = (inputs.clone(), barrier.clone());
                thread::spawn(move || -> Result<(), String> {
                    let input: Vec<&str> = inputs[k].iter().map(String::as_str).collect();
                    let expected = model(&input);
                    // Every caller goes through every round, even after a
                    // wrong answer, so that the others never wait at the
                    // barrier for a caller that has left.
                    let mut first_wrong = None;
                    for round in 0..ROUNDS {
                        barrier.wait();
                        let got = letter_frequency::frequency(&input, 1 + (k + round) % 3);
                        if got != expected && first_wrong.is_none() {
                            first_wrong = Some(format!(
                                "in round {round}, caller {k} got wrong counts: {}",
                                differences(&got, &expected, 4)
                            ));
                        }
                    }
                    first_wrong.map_or(Ok(()), Err)
                })
            })
            .collect();
        let outcome = within(Duration::from_secs(20), move || {
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("a call panicked (see its message above)".into())))
                .collect::<Vec<_>>()
        });
        let Some(outcome) = outcome else {
            failing_means(Category::Deadlock);
            panic!(
                "{CALLERS} threads calling frequency {ROUNDS} times each did not finish within 20 s: a call hung \
                 when another ran at the same time"
            );
        };
        for result in outcome {
            if let Err(e) = result {
                panic!(
                    "{e}. Calls that run at the same time must not share their counts: keep every count inside \
                     the call (a map per thread, merged at the end), never in a static or global."
                );
            }
        }
    }
}
