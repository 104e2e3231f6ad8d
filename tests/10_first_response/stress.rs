//! Many rounds of calls running side by side, each round's callers released
//! together by a `Barrier`, every call's outcome checked exactly.

use crate::support::{FOREVER, Flags, mirror, mirrors_named, wrong_outcome};
use first_response::{FirstError, Mirror};
use std::sync::mpsc;
use testkit::prelude::*;

const ROUNDS: usize = 50;
const CALLERS: usize = 4;
const MIRRORS: usize = 4;

hidden_tests! {
    fn concurrent_calls_each_get_their_own_outcome() {
        let (report, reports) = mpsc::channel::<(usize, usize, Result<(), String>)>();
        let start = Arc::new(Barrier::new(CALLERS));
        for caller in 0..CALLERS {
            let (report, start) = (report.clone(), start.clone());
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    start.wait();
                    if report.send((round, caller, one_call(round, caller))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(report);
        let deadline = Instant::now() + Duration::from_secs(9);
        for seen in 0..ROUNDS * CALLERS {
            let Ok((round, caller, verdict)) = reports.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
                // Calls that should end within milliseconds went on waiting:
                // for mirrors nobody told to stop.
                failing_means(Category::IgnoredCancellation);
                panic!(
                    "{CALLERS} threads each made {ROUNDS} calls of {MIRRORS} mirrors (one answering \
                     within a millisecond, or all failing within a few), but after 9 s only {seen} of \
                     the {} calls had returned: a call waited for a mirror that was never cancelled, \
                     or for a result that never came",
                    ROUNDS * CALLERS
                )
            };
            if let Err(problem) = verdict {
                panic!(
                    "round {round}, caller {caller} of {CALLERS} calling first_response at the same \
                     time: {problem}"
                );
            }
        }
    }
}

/// What one call's mirrors do. Each call gets its own mix, so calls running
/// side by side must not mix up their results or their cancellations.
fn one_call(round: usize, caller: usize) -> Result<(), String> {
    let tag = |i: usize| format!("round {round} caller {caller} mirror {i}");
    let calls = Arc::new(AtomicUsize::new(0));
    let (saw_cancel, ended) = (Flags::new(MIRRORS), Flags::new(MIRRORS));
    let all_fail = (round + caller).is_multiple_of(3);
    let winner = (round * 3 + caller) % MIRRORS;
    let mut hanging = Vec::new();
    let mut mirrors: Vec<Mirror<String>> = Vec::new();
    for i in 0..MIRRORS {
        let (calls, saw_cancel, ended, tag) = (calls.clone(), saw_cancel.clone(), ended.clone(), tag(i));
        // Failures come back after 0 to 3 ms, in an order that changes
        // from call to call.
        let nap = Duration::from_millis(((i * 7 + round + caller) % 4) as u64);
        let hangs = !all_fail && i != winner && (i + round).is_multiple_of(2);
        if hangs {
            hanging.push(i);
        }
        mirrors.push(mirror(move |cancel| {
            calls.fetch_add(1, Ordering::SeqCst);
            let result = if all_fail {
                if cancel.sleep(nap) { Err(format!("{tag} was cancelled")) } else { Err(format!("{tag} failed")) }
            } else if i == winner {
                if cancel.sleep(Duration::from_millis(1)) {
                    Err(format!("{tag} was cancelled before it could answer"))
                } else {
                    Ok(format!("{tag} answered"))
                }
            } else if hangs {
                if cancel.sleep(FOREVER) {
                    saw_cancel.raise(i);
                }
                Err(format!("{tag} never answered"))
            } else {
                cancel.sleep(nap);
                Err(format!("{tag} failed"))
            };
            ended.raise(i);
            result
        }));
    }
    let outcome = first_response::first_response(mirrors, GENEROUS);
    let running = ended.lowered(0..MIRRORS);
    let not_cancelled = saw_cancel.lowered(hanging.iter().copied());
    let expected = if all_fail {
        Err(FirstError::AllFailed((0..MIRRORS).map(|i| format!("{} failed", tag(i))).collect()))
    } else {
        Ok(format!("{} answered", tag(winner)))
    };
    let what = if all_fail {
        "every mirror fails".to_string()
    } else {
        format!("mirror {winner} answers Ok after 1 ms and the others fail or never answer")
    };
    // Each problem declares what it means on the caller's thread, right
    // before the report that makes the test fail.
    if outcome != expected {
        failing_means(wrong_outcome(&expected, &outcome));
        return Err(format!(
            "{what}, so the answer is {expected:?}, but first_response returned {outcome:?}. Each call \
             needs its own Cancel (a signal shared with other calls, or left cancelled from an earlier \
             one, stops mirrors that should still work) and its own channel"
        ));
    }
    let made = calls.load(Ordering::SeqCst);
    if made != MIRRORS {
        failing_means(Category::WrongResult);
        return Err(format!("{what}; first_response returned after calling {made} of its {MIRRORS} mirrors"));
    }
    if !running.is_empty() {
        failing_means(Category::LeakedThread);
        return Err(format!(
            "{what}; first_response returned while {} still running: join every mirror thread before \
             returning",
            mirrors_named(&running)
        ));
    }
    if !not_cancelled.is_empty() {
        failing_means(Category::IgnoredCancellation);
        return Err(format!("{what}; first_response returned without cancelling {}", mirrors_named(&not_cancelled)));
    }
    Ok(())
}
