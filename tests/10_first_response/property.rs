//! Random mixes of mirrors that answer, fail or never answer, each after a
//! random delay, checked against what the contract says the outcome is.

use crate::support::{FOREVER, Flags, mirror, mirrors_named, wrong_outcome};
use first_response::{FirstError, Mirror};
use proptest::collection::vec;
use proptest::prelude::*;
use testkit::prelude::*;

/// What one mirror does after its delay.
#[derive(Debug, Clone)]
enum Behaviour {
    Answers(u32),
    Fails,
    NeverAnswers,
}

#[derive(Debug, Clone)]
struct Spec {
    delay_ms: u64,
    behaviour: Behaviour,
}

fn spec() -> impl Strategy<Value = Spec> {
    let behaviour = prop_oneof![
        2 => any::<u32>().prop_map(Behaviour::Answers),
        3 => Just(Behaviour::Fails),
        1 => Just(Behaviour::NeverAnswers),
    ];
    (0u64..25, behaviour).prop_map(|(delay_ms, behaviour)| Spec { delay_ms, behaviour })
}

/// The timeout of a call whose mirrors never all end by themselves.
const SHORT: Duration = Duration::from_millis(150);

hidden_tests! {
    fn any_mix_of_answers_failures_and_silence_gives_the_documented_outcome() {
        let hung = AtomicBool::new(false);
        check_property(
            "any_mix_of_answers_failures_and_silence_gives_the_documented_outcome",
            40,
            vec(spec(), 0..=6),
            "mirrors that each wait a few milliseconds and then answer Ok, fail, or never answer: the \
             outcome must be one of the Ok values if any mirror answers; Err(AllFailed) with every error \
             in mirror order if all fail; Err(Timeout) otherwise. And when the call returns, every \
             mirror must have ended, the silent ones by seeing the cancellation",
            |specs| {
                // After one case has hung, shrinking would re-run cases that
                // hang too, 5 s each; report that first case instead.
                if hung.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let n = specs.len();
                let answers: Vec<u32> = specs
                    .iter()
                    .filter_map(|s| if let Behaviour::Answers(v) = s.behaviour { Some(v) } else { None })
                    .collect();
                let silent: Vec<usize> =
                    (0..n).filter(|&i| matches!(specs[i].behaviour, Behaviour::NeverAnswers)).collect();
                let (saw_cancel, ended) = (Flags::new(n), Flags::new(n));
                let mirrors: Vec<Mirror<u32>> = specs
                    .iter()
                    .enumerate()
                    .map(|(i, spec)| {
                        let (spec, saw_cancel, ended) = (spec.clone(), saw_cancel.clone(), ended.clone());
                        mirror(move |cancel| {
                            let cancelled = cancel.sleep(Duration::from_millis(spec.delay_ms));
                            let result = match spec.behaviour {
                                Behaviour::NeverAnswers => {
                                    if cancelled || cancel.sleep(FOREVER) {
                                        saw_cancel.raise(i);
                                    }
                                    Err(format!("mirror {i} never answered"))
                                }
                                _ if cancelled => Err(format!("mirror {i} was cancelled early")),
                                Behaviour::Answers(v) => Ok(v),
                                Behaviour::Fails => Err(format!("mirror {i} failed")),
                            };
                            ended.raise(i);
                            result
                        })
                    })
                    .collect();
                // A long timeout when the mirrors end by themselves, so that
                // only a wrong outcome can fail the case.
                let timeout = if answers.is_empty() && !silent.is_empty() { SHORT } else { FOREVER };
                let watched = ended.clone();
                let returned = within(GENEROUS, move || {
                    let outcome = first_response::first_response(mirrors, timeout);
                    (outcome, watched.lowered(0..n))
                });
                // Shrinking runs passing cases after failing ones, so a case
                // declares what its failure means only when it fails.
                let Some((outcome, running)) = returned else {
                    hung.store(true, Ordering::SeqCst);
                    // With a silent mirror, it was never told to stop (or the
                    // timeout was ignored); without one, every mirror ended by
                    // itself and the call waits for something that never comes.
                    failing_means(if silent.is_empty() { Category::Deadlock } else { Category::IgnoredCancellation });
                    return Err(TestCaseError::fail(
                        "first_response did not return within 5 s: it must cancel the mirrors that \
                         never answer once it has its outcome (an Ok, every other mirror failed, or \
                         the timeout), then join them",
                    ));
                };
                if !answers.is_empty() {
                    if !matches!(outcome, Ok(v) if answers.contains(&v)) {
                        failing_means(Category::WrongResult);
                    }
                    prop_assert!(
                        matches!(outcome, Ok(v) if answers.contains(&v)),
                        "mirrors answering Ok({answers:?}) were among them, but first_response returned \
                         {outcome:?}: an error must not end the wait while a mirror may still answer"
                    );
                } else if silent.is_empty() {
                    let errors: Vec<String> = (0..n).map(|i| format!("mirror {i} failed")).collect();
                    let expected = Err(FirstError::AllFailed(errors.clone()));
                    if outcome != expected {
                        failing_means(wrong_outcome(&expected, &outcome));
                    }
                    prop_assert_eq!(
                        &outcome,
                        &Err(FirstError::AllFailed(errors)),
                        "every mirror failed: Err(AllFailed) must hold every error, in mirror order"
                    );
                } else {
                    if outcome != Err(FirstError::Timeout) {
                        failing_means(Category::WrongResult);
                    }
                    prop_assert_eq!(
                        &outcome,
                        &Err(FirstError::Timeout),
                        "no mirror answered and {} never answers: after the 150 ms timeout the outcome \
                         is Err(Timeout)",
                        mirrors_named(&silent)
                    );
                }
                if !running.is_empty() {
                    failing_means(Category::LeakedThread);
                }
                prop_assert!(
                    running.is_empty(),
                    "first_response returned {outcome:?} while {} still running: join every mirror \
                     thread before returning",
                    mirrors_named(&running)
                );
                let not_cancelled = saw_cancel.lowered(silent.iter().copied());
                if !not_cancelled.is_empty() {
                    failing_means(Category::IgnoredCancellation);
                }
                prop_assert!(
                    not_cancelled.is_empty(),
                    "first_response returned {outcome:?} without cancelling {}, which never answers",
                    mirrors_named(&not_cancelled)
                );
                Ok(())
            },
        );
    }
}
