//! What `first_response` returns, and what it does to the mirrors it started,
//! one behaviour at a time.

use crate::support::{
    FOREVER, Flags, Turns, call_then, call_within, mirror, mirrors_named, never_answers, wrong_outcome,
};
use first_response::{Cancel, FirstError, Mirror};
use testkit::prelude::*;

/// Compiles only if the signal can be cloned and shared between threads, as
/// the curriculum promises.
fn assert_clone_send_sync<T: Clone + Send + Sync>() {}

hidden_tests! {
    fn returns_the_ok_of_the_one_mirror_that_answers() {
        assert_clone_send_sync::<Cancel>();
        let mirrors: Vec<Mirror<u32>> = vec![
            mirror(|_| Err("mirror 0: connection refused".to_string())),
            mirror(|_| Ok(7)),
            mirror(|_| Err("mirror 2: not found".to_string())),
        ];
        // Every mirror ends at once: a call that does not return waits for
        // something that never comes.
        failing_means(Category::Deadlock);
        let outcome = call_within(GENEROUS, mirrors, GENEROUS)
            .expect("first_response did not return within 5 s, though one of its three mirrors answers at once");
        failing_means(Category::WrongResult);
        assert_eq!(
            outcome,
            Ok(7),
            "mirrors 0 and 2 fail and mirror 1 answers Ok(7): first_response must return that Ok. \
             Errors only matter when every mirror fails"
        );
    }

    fn reports_every_error_in_mirror_order_when_all_fail() {
        let expected: Vec<String> = (0..5).map(|i| format!("mirror {i}: service unavailable")).collect();
        let mirrors: Vec<Mirror<u32>> =
            expected.iter().cloned().map(|e| mirror(move |_| Err(e))).collect();
        failing_means(Category::Deadlock);
        let outcome = call_within(GENEROUS, mirrors, GENEROUS)
            .expect("first_response did not return within 5 s, though its five mirrors all fail at once");
        failing_means(wrong_outcome(&Err(FirstError::AllFailed(expected.clone())), &outcome));
        assert_eq!(
            outcome,
            Err(FirstError::AllFailed(expected)),
            "all five mirrors failed at once: first_response must return Err(AllFailed) holding every \
             error, one per mirror, in mirror order"
        );
    }

    fn errors_are_in_mirror_order_even_when_they_arrive_in_reverse() {
        // Mirror 3 fails first, then 2, then 1, then 0: each waits for the
        // one after it to have failed, and a little longer, so its error
        // reaches the caller after that one's.
        const N: usize = 4;
        let turns = Turns::new();
        let give_up = Instant::now() + Duration::from_secs(4);
        let late = Flags::new(N);
        let mirrors: Vec<Mirror<u32>> = (0..N)
            .map(|i| {
                let (turns, late) = (turns.clone(), late.clone());
                mirror(move |_| {
                    if !turns.wait_for(N - 1 - i, give_up) {
                        late.raise(i);
                    }
                    thread::sleep(Duration::from_millis(30));
                    turns.advance();
                    Err(format!("mirror {i} failed"))
                })
            })
            .collect();
        failing_means(Category::Deadlock);
        let outcome = call_within(GENEROUS, mirrors, GENEROUS)
            .expect("first_response did not return within 5 s, though its four mirrors all fail within 4 s");
        let expected: Vec<String> = (0..N).map(|i| format!("mirror {i} failed")).collect();
        failing_means(wrong_outcome(&Err(FirstError::AllFailed(expected.clone())), &outcome));
        assert_eq!(
            outcome,
            Err(FirstError::AllFailed(expected)),
            "the mirrors failed in reverse order (3, then 2, 1, 0). Err(AllFailed) must still list the \
             errors in mirror order (mirror 0's first), not in the order they arrived: keep each error \
             in its mirror's slot (send the index along with the result)"
        );
        let waited_in_vain: Vec<usize> = (0..N).filter(|&i| late.is_raised(i)).collect();
        failing_means(Category::NotConcurrent);
        assert!(
            waited_in_vain.is_empty(),
            "{} waited 4 s in vain for the mirrors after it to fail: every mirror must be started at \
             once, on a thread of its own, not one after another",
            mirrors_named(&waited_in_vain)
        );
    }

    fn an_ok_that_arrives_after_errors_still_wins() {
        // Mirrors 1 to 3 fail at once; mirror 0 answers only once they have.
        const N: usize = 4;
        let failed = Turns::new();
        let give_up = Instant::now() + Duration::from_secs(4);
        let mut mirrors: Vec<Mirror<&'static str>> = Vec::new();
        let waiter = failed.clone();
        mirrors.push(mirror(move |_| {
            waiter.wait_for(N - 1, give_up);
            thread::sleep(Duration::from_millis(50));
            Ok("mirror 0's answer")
        }));
        for i in 1..N {
            let failed = failed.clone();
            mirrors.push(mirror(move |_| {
                failed.advance();
                Err(format!("mirror {i} timed out"))
            }));
        }
        failing_means(Category::Deadlock);
        let outcome = call_within(GENEROUS, mirrors, GENEROUS)
            .expect("first_response did not return within 5 s; its slowest mirror answers within 4 s");
        failing_means(Category::WrongResult);
        assert_eq!(
            outcome,
            Ok("mirror 0's answer"),
            "mirrors 1, 2 and 3 failed, then mirror 0 answered Ok: first_response must keep waiting \
             after an error while some mirror is still working, and return the Ok. Only when every \
             mirror has failed is the answer Err(AllFailed)"
        );
    }

    fn no_mirrors_means_all_failed_with_no_errors() {
        failing_means(Category::WrongResult);
        let outcome = call_within(GENEROUS, Vec::<Mirror<u32>>::new(), Duration::from_millis(200))
            .expect("first_response with no mirrors did not return within 5 s");
        assert_eq!(
            outcome,
            Err(FirstError::AllFailed(vec![])),
            "with no mirrors there is nothing to wait for: every mirror (all none of them) has failed, \
             and the documented answer is Err(AllFailed(vec![])), not a timeout"
        );
    }

    fn a_fast_answer_cancels_the_slow_mirrors() {
        // Mirror 0 answers at once; the others would take a minute unless
        // they are cancelled.
        const N: usize = 4;
        let (saw_cancel, ended) = (Flags::new(N), Flags::new(N));
        let mut mirrors: Vec<Mirror<&'static str>> = vec![mirror(|_| Ok("fast"))];
        mirrors.extend((1..N).map(|i| never_answers(i, &saw_cancel, &ended)));
        let outcome = call_within(GENEROUS, mirrors, FOREVER);
        let Some(outcome) = outcome else {
            // Not one slow mirror saw a cancellation: they were never asked to
            // stop. Some did: the call waits for something else.
            failing_means(if saw_cancel.lowered(1..N).len() < N - 1 {
                Category::Deadlock
            } else {
                Category::IgnoredCancellation
            });
            panic!(
                "mirror 0 answered Ok at once, but first_response had not returned 5 s later: the \
                 other mirrors wait up to a minute unless they are cancelled. Once a mirror answers, \
                 cancel the shared Cancel (the slow mirrors see it in Cancel::sleep and give up), then \
                 join them. Joining without cancelling waits for the slowest mirror{}",
                if saw_cancel.lowered(1..N).len() < N - 1 {
                    "; here some mirrors did see the cancellation, so the waiting is elsewhere"
                } else {
                    ""
                }
            )
        };
        failing_means(Category::WrongResult);
        assert_eq!(outcome, Ok("fast"), "mirror 0 answered Ok(\"fast\") at once, and the others never answer");
        let missed = saw_cancel.lowered(1..N);
        failing_means(Category::IgnoredCancellation);
        assert!(
            missed.is_empty(),
            "when first_response returned, {} had not seen the cancellation: before returning, it \
             must cancel the mirrors that are still working (and wait for them to end)",
            mirrors_named(&missed)
        );
    }

    fn every_mirror_has_ended_when_the_call_returns() {
        // Once cancelled, each slow mirror still takes a moment to wind down
        // (a plain sleep) before it ends. The call must wait for that.
        const N: usize = 4;
        let ended = Flags::new(N);
        let mut mirrors: Vec<Mirror<u32>> = Vec::new();
        let first = ended.clone();
        mirrors.push(mirror(move |_| {
            first.raise(0);
            Ok(0)
        }));
        for i in 1..N {
            let ended = ended.clone();
            mirrors.push(mirror(move |cancel| {
                cancel.sleep(FOREVER);
                thread::sleep(Duration::from_millis(250));
                ended.raise(i);
                Err(format!("mirror {i} gave up"))
            }));
        }
        let watched = ended.clone();
        let outcome = call_then(GENEROUS, mirrors, FOREVER, move || watched.lowered(0..N));
        let Some((outcome, running)) = outcome else {
            failing_means(Category::IgnoredCancellation);
            panic!(
                "mirror 0 answered at once, but first_response had not returned 5 s later: cancel the \
                 other mirrors, then wait for them to end"
            )
        };
        failing_means(Category::WrongResult);
        assert_eq!(outcome, Ok(0), "mirror 0 answered Ok(0) at once, and the others never answer");
        failing_means(Category::LeakedThread);
        assert!(
            running.is_empty(),
            "first_response returned while {} {} still running (winding down after the \
             cancellation). Nothing the call starts may outlive it: after cancelling, join every \
             mirror thread (or let std::thread::scope join them) before returning",
            mirrors_named(&running),
            if running.len() == 1 { "was" } else { "were" }
        );
    }

    fn times_out_and_cancels_every_mirror() {
        const N: usize = 3;
        let (saw_cancel, ended) = (Flags::new(N), Flags::new(N));
        let mirrors: Vec<Mirror<u32>> = (0..N).map(|i| never_answers(i, &saw_cancel, &ended)).collect();
        let (saw, gone) = (saw_cancel.clone(), ended.clone());
        let outcome = call_then(GENEROUS, mirrors, Duration::from_millis(200), move || {
            (saw.lowered(0..N), gone.lowered(0..N))
        });
        let Some((outcome, (not_cancelled, running))) = outcome else {
            // The deadline passed and the call went on waiting.
            failing_means(Category::IgnoredCancellation);
            panic!(
                "no mirror ever answers and the timeout is 200 ms, but first_response had not returned \
                 5 s later: wait for results with a deadline (recv_timeout or recv_deadline, or \
                 select! with an after() channel), not with a plain recv, and when time is up cancel \
                 the mirrors before joining them"
            )
        };
        failing_means(Category::WrongResult);
        assert_eq!(
            outcome,
            Err(FirstError::Timeout),
            "no mirror answers or fails before the 200 ms timeout: the answer must be Err(Timeout)"
        );
        failing_means(Category::IgnoredCancellation);
        assert!(
            not_cancelled.is_empty(),
            "first_response timed out, but {} had not seen the cancellation when it returned: a \
             timeout must cancel the mirrors too, or they go on working for nobody",
            mirrors_named(&not_cancelled)
        );
        failing_means(Category::LeakedThread);
        assert!(
            running.is_empty(),
            "first_response timed out while {} still running: on a timeout too, cancel and then \
             join every mirror thread before returning",
            mirrors_named(&running)
        );
    }

    fn the_deadline_counts_from_the_start_not_from_each_message() {
        // Mirror 0 never answers. The others fail one pair at a time, every
        // 100 ms, for six seconds: an error keeps arriving well within the
        // 400 ms timeout of the previous one. The timeout is for the whole
        // call, so the answer is Err(Timeout) after about 400 ms. A loop that
        // gives each recv the whole timeout again never gets there.
        const TIMEOUT: Duration = Duration::from_millis(400);
        const TICK: Duration = Duration::from_millis(100);
        const PAIRS: usize = 60;
        let (saw_cancel, ended) = (Flags::new(1), Flags::new(1));
        let cancelled = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut mirrors: Vec<Mirror<u32>> = vec![never_answers(0, &saw_cancel, &ended)];
        for j in 0..2 * PAIRS {
            let fails_at = start + TICK * (1 + j as u32 / 2);
            let cancelled = cancelled.clone();
            mirrors.push(mirror(move |cancel| {
                if cancel.sleep(fails_at.saturating_duration_since(Instant::now())) {
                    cancelled.fetch_add(1, Ordering::SeqCst);
                    Err(format!("mirror {} was cancelled", j + 1))
                } else {
                    Err(format!("mirror {} failed", j + 1))
                }
            }));
        }
        let outcome = call_within(GENEROUS, mirrors, TIMEOUT);
        let Some(outcome) = outcome else {
            if cancelled.load(Ordering::SeqCst) > 0 || saw_cancel.is_raised(0) {
                // It did stop the mirrors, then waited for something else.
                failing_means(Category::Deadlock);
                panic!(
                    "the timeout was 400 ms and first_response did cancel its mirrors, but it had not \
                     returned 5 s later: after cancelling, it must join the mirror threads and return"
                )
            }
            // The deadline passed and the call went on waiting.
            failing_means(Category::IgnoredCancellation);
            panic!(
                "the timeout was 400 ms, but first_response had not returned, nor cancelled a single \
                 mirror, 5 s later, while errors kept arriving every 100 ms. The deadline is for the \
                 whole call: fix it once, when the call starts (let deadline = Instant::now() + \
                 timeout), and wait with recv_deadline(deadline) or recv_timeout(deadline - now). \
                 Passing the whole timeout to every recv restarts the clock at each message. And once \
                 the time is up, cancel the mirrors before joining them"
            )
        };
        failing_means(Category::WrongResult);
        assert_eq!(
            outcome,
            Err(FirstError::Timeout),
            "mirror 0 never answers and the others fail one pair every 100 ms for 6 s: the 400 ms \
             timeout passes while most are still working, so the answer is Err(Timeout)"
        );
        failing_means(Category::IgnoredCancellation);
        assert!(saw_cancel.is_raised(0), "first_response timed out but mirror 0 was not cancelled before it returned");
    }

    fn cancel_sleep_lasts_its_whole_duration_when_nobody_cancels() {
        const NAP: Duration = Duration::from_millis(30);
        let mirrors: Vec<Mirror<(bool, bool, Duration)>> = vec![mirror(|cancel| {
            let before = cancel.is_cancelled();
            let started = Instant::now();
            let cancelled = cancel.sleep(NAP);
            Ok((before, cancelled, started.elapsed()))
        })];
        failing_means(Category::Deadlock);
        let outcome = call_within(GENEROUS, mirrors, GENEROUS)
            .expect("first_response did not return within 5 s; its one mirror sleeps 30 ms and answers");
        failing_means(Category::WrongResult);
        let Ok((cancelled_at_start, cancelled, slept)) = outcome else {
            panic!("the one mirror answers Ok after a 30 ms Cancel::sleep, but first_response returned {outcome:?}")
        };
        assert!(
            !cancelled_at_start,
            "a mirror's Cancel was already cancelled when the mirror started: each call needs a fresh \
             signal, cancelled only once the call has its answer"
        );
        assert!(
            !cancelled && slept >= NAP,
            "Cancel::sleep(30 ms) returned {cancelled} after {slept:?} although nobody cancelled it: it \
             must sleep the whole duration and return false when not cancelled"
        );
    }
}
