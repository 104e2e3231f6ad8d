//! Schedule exploration for exercise 10: the learner's `first_response` and
//! `Cancel`, rebuilt on shuttle's threads, scopes, locks, condition
//! variables and atomics, with crossbeam-channel's API modelled on the same
//! scheduler (see `xtask/src/engine/explore.rs`), run under thousands of
//! chosen interleavings.
//!
//! Time is virtual here: the learner's `Instant`, `Condvar::wait_timeout`,
//! `thread::sleep` and the channel's timeouts read a clock that moves only
//! when every thread is blocked, jumping to the earliest deadline. Threads
//! are infinitely fast next to a timeout, so a mirror that sleeps 10 ms
//! answers before one that sleeps 30 ms in every schedule, and "the first
//! `Ok`" has one meaning. What is left to the scheduler is the order of the
//! steps that happen at one instant, which is where this lesson's narrow
//! mistake lives: a cancellation that lands while a mirror is between
//! looking at the flag and starting to wait on the Condvar notifies nobody,
//! and the mirror sleeps its whole time (a lost wakeup). Real threads hit
//! that window a few instructions wide almost never; shuttle pauses a
//! mirror there within a few schedules, and does so on every run.
//!
//! Each test first makes a call in which every mirror is surely asleep when
//! the cancellation comes (the clock had to move past a deadline to get
//! there), so that a `Cancel` that does not wake its sleepers at all, or a
//! call that never cancels, is named as such; then a call in which the
//! cancellation races with mirrors going to sleep, where a mirror that
//! sleeps its whole time anyway lost its wakeup.
//!
//! Both tests end the call with an `Ok`. A test of the deadline path would
//! fail a correct answer built on `std::sync::mpsc`: in this build that is
//! shuttle's channel, whose `recv_timeout` never times out.
//!
//! The tests use the public API only (a mirror sees its `Cancel` through
//! `sleep` alone), so any correct style passes: a scope or join handles,
//! `recv_deadline` or `select!` with `after`, the shipped `Cancel` or one of
//! the learner's own that blocks.
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p first_response_tests`.

use first_response::{FirstError, Mirror, first_response};
use shuttle::sync::{Arc, Mutex};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::Duration;
use testkit::explore::time::Instant;
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// How long a mirror that never answers sleeps in `Cancel::sleep` unless it
/// is cancelled: far longer than any call here should last.
const FOREVER: Duration = Duration::from_secs(60);

type Outcome = Result<u32, FirstError>;

/// What one mirror does, in virtual time from the start of the call.
#[derive(Clone, Copy, Debug)]
enum Plan {
    /// Sleeps (in `Cancel::sleep`) this long, then answers `Ok(value)`; if
    /// cancelled first, fails instead.
    AnswersAfter(Duration, u32),
    /// Sleeps this long, then fails.
    FailsAfter(Duration),
    /// Sleeps [`FOREVER`] unless cancelled, then fails.
    NeverAnswers,
    /// Sleeps this long; if not cancelled by then, behaves as
    /// [`Plan::NeverAnswers`]. Its second sleep begins at the instant its
    /// first ends, which is where a cancellation at that instant can race it.
    NeverAnswersAfter(Duration),
}

/// What a mirror did, recorded by the mirror itself.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// The mirror was called (raised as its first step).
    started: bool,
    /// The mirror returned (raised as its last step).
    ended: bool,
    /// Its `Cancel::sleep(FOREVER)`, if it made one: what the sleep
    /// returned and how long it lasted.
    long_sleep: Option<(bool, Duration)>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// `Cancel::sleep(d)` for a `d` that may be zero: whether it was cancelled.
fn nap(cancel: &first_response::Cancel, d: Duration) -> bool {
    !d.is_zero() && cancel.sleep(d)
}

/// Mirror `i` following `plan`, recording into `log`.
fn mirror(i: usize, plan: Plan, log: &Log) -> Mirror<u32> {
    let log = log.clone();
    Box::new(move |cancel| {
        log.lock().unwrap()[i].started = true;
        let sleep_forever = |log: &Log| {
            let began = Instant::now();
            let woke = cancel.sleep(FOREVER);
            log.lock().unwrap()[i].long_sleep = Some((woke, Instant::now().duration_since(began)));
        };
        let result = match plan {
            Plan::AnswersAfter(d, value) => {
                if nap(cancel, d) {
                    Err(format!("mirror {i} was cancelled before it could answer"))
                } else {
                    Ok(value)
                }
            }
            Plan::FailsAfter(d) => {
                nap(cancel, d);
                Err(format!("mirror {i} failed"))
            }
            Plan::NeverAnswers => {
                sleep_forever(&log);
                Err(format!("mirror {i} never answered"))
            }
            Plan::NeverAnswersAfter(d) => {
                if !nap(cancel, d) {
                    sleep_forever(&log);
                }
                Err(format!("mirror {i} never answered"))
            }
        };
        log.lock().unwrap()[i].ended = true;
        result
    })
}

/// What a call returned, how long it took, what its mirrors had done the
/// moment it returned, and which of them had still not been called a while
/// after that.
struct Call {
    outcome: Outcome,
    took: Duration,
    seen: Vec<Seen>,
    never_called: Vec<usize>,
}

/// Calls `first_response` with mirrors following `plans` on a thread of its
/// own, and passes on its panic, declared as one (no mirror here panics).
/// While the call runs, a failure is a call that never ends: shuttle cuts
/// off a thread that polls without ever blocking, since virtual time moves
/// only when every thread is blocked.
fn call(plans: &[Plan], timeout: Duration) -> Call {
    let log: Log = Arc::new(Mutex::new(vec![Seen::default(); plans.len()]));
    let mirrors: Vec<Mirror<u32>> = plans.iter().enumerate().map(|(i, &plan)| mirror(i, plan, &log)).collect();
    let later = log.clone();
    failing_means(Category::BusyWait);
    let caller = shuttle::thread::spawn(move || {
        let began = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| first_response(mirrors, timeout))) {
            Ok(outcome) => {
                let took = Instant::now().duration_since(began);
                Call { outcome, took, seen: log.lock().unwrap().clone(), never_called: Vec::new() }
            }
            Err(panic) => {
                failing_means(Category::Panic);
                resume_unwind(panic)
            }
        }
    });
    shuttle::thread::yield_now();
    let mut call = caller.join().unwrap_or_else(|panic| {
        failing_means(Category::Panic);
        resume_unwind(panic)
    });
    // A mirror thread the call left behind may begin only now; one that
    // still has not begun after every other thread had many turns was
    // never started at all.
    for _ in 0..8 * plans.len() {
        shuttle::thread::yield_now();
    }
    let seen = later.lock().unwrap();
    call.never_called = (0..plans.len()).filter(|&i| !seen[i].started).collect();
    call
}

/// "mirror 1" or "mirrors 1 and 3", for messages.
fn named(indices: &[usize]) -> String {
    let names: Vec<String> = indices.iter().map(|i| i.to_string()).collect();
    match names.len() {
        1 => format!("mirror {}", names[0]),
        n => format!("mirrors {} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

fn fail(category: Category, message: String) -> ! {
    failing_means(category);
    panic!("{message}");
}

/// Whether the cancellation in the call being checked came while every
/// mirror was surely asleep, or raced with mirrors going to sleep.
#[derive(Clone, Copy, PartialEq)]
enum Cancellation {
    WhileAllAsleep,
    RacingMirrorsGoingToSleep,
}

/// Every mirror had ended when the call returned, and none of those that
/// sleep in `Cancel::sleep(FOREVER)` slept its whole time.
fn check_cancelled_and_joined(situation: &str, call: &Call, when: Cancellation) {
    if !call.never_called.is_empty() {
        fail(
            Category::NotConcurrent,
            format!(
                "{situation}: first_response returned {:?} without ever calling {}. Start every mirror at \
                 once, each on a thread of its own, before waiting for any answer: calling them one after \
                 another makes the first answer wait for every slower mirror before it",
                call.outcome,
                named(&call.never_called)
            ),
        );
    }
    let running: Vec<usize> = (0..call.seen.len()).filter(|&i| !call.seen[i].ended).collect();
    if !running.is_empty() {
        fail(
            Category::LeakedThread,
            format!(
                "{situation}: first_response returned {:?} while {} had not returned yet. Nothing the call starts \
                 may outlive it: after cancelling, join every mirror thread (or start them in std::thread::scope, \
                 which joins them all) before returning, on every path out of the call",
                call.outcome,
                named(&running)
            ),
        );
    }
    let slept_through = |cancelled: bool| -> Vec<usize> {
        (0..call.seen.len())
            .filter(
                |&i| matches!(call.seen[i].long_sleep, Some((woke, slept)) if woke == cancelled && slept >= FOREVER),
            )
            .collect()
    };
    let never_cancelled = slept_through(false);
    if !never_cancelled.is_empty() {
        fail(
            Category::IgnoredCancellation,
            format!(
                "{situation}: {} slept its whole minute in Cancel::sleep and was never cancelled, so the call \
                 lasted {:?}. Whatever ends the wait (an Ok, the last error, or the deadline), cancel the shared \
                 Cancel before joining the mirrors: the join otherwise waits for the slowest one",
                named(&never_cancelled),
                call.took
            ),
        );
    }
    let not_woken = slept_through(true);
    if !not_woken.is_empty() {
        match when {
            Cancellation::WhileAllAsleep => fail(
                Category::IgnoredCancellation,
                format!(
                    "{situation}: {} was asleep in Cancel::sleep when the call cancelled, yet slept its whole \
                     minute and only then saw the cancellation, so the call lasted {:?}. Cancel::sleep must wake \
                     the moment cancel() is called: block on a Condvar (wait_timeout_while on the flag's own \
                     Mutex), and have cancel() raise the flag under that Mutex and notify_all",
                    named(&not_woken),
                    call.took
                ),
            ),
            Cancellation::RacingMirrorsGoingToSleep => fail(
                Category::LostWakeup,
                format!(
                    "{situation}: the call cancelled just as {} went to sleep in Cancel::sleep, and the mirror \
                     slept its whole minute anyway, so the call lasted {:?}: the cancellation came after sleep \
                     had looked at the flag and before it began to wait, and its notify woke nobody (a lost \
                     wakeup). Look at the flag and start waiting under one lock, the same Mutex that cancel() \
                     raises the flag under: lock once and call wait_timeout_while(guard, d, |cancelled| \
                     !*cancelled) on that guard (a flag kept outside that Mutex, an AtomicBool, or a check \
                     made before locking afresh leaves the gap open)",
                    named(&not_woken),
                    call.took
                ),
            ),
        }
    }
}

fn check_outcome(situation: &str, call: &Call, expected: &Outcome, advice: &str) {
    if call.outcome != *expected {
        fail(
            Category::WrongResult,
            format!("{situation}: first_response returned {:?} instead of {expected:?}. {advice}", call.outcome),
        );
    }
}

const MS: Duration = Duration::from_millis(1);

/// Mirrors that fail and answer at different virtual times: the first Ok
/// (not a later one, not an error) is the answer, and the call returns the
/// instant it arrives, having cancelled and joined the rest.
fn the_first_ok_wins() {
    // The calm call: mirror 2's Ok at 10 ms comes while mirrors 1 and 4 are
    // surely asleep; mirror 1's Ok would come only at 30 ms.
    let situation = "mirror 0 fails at once, mirror 3 fails after 5 ms, mirror 2 answers Ok(2) after 10 ms, \
                     mirror 1 would answer Ok(1) after 30 ms, mirror 4 never answers, and the timeout is 50 ms";
    let plans = [
        Plan::FailsAfter(Duration::ZERO),
        Plan::AnswersAfter(30 * MS, 1),
        Plan::AnswersAfter(10 * MS, 2),
        Plan::FailsAfter(5 * MS),
        Plan::NeverAnswers,
    ];
    let first = call(&plans, 50 * MS);
    check_cancelled_and_joined(situation, &first, Cancellation::WhileAllAsleep);
    check_outcome(
        situation,
        &first,
        &Ok(2),
        "The first Ok wins: an error must not end the wait while a mirror is still working, and a later Ok \
         must not replace the first one",
    );
    if first.took >= 30 * MS {
        fail(
            Category::IgnoredCancellation,
            format!(
                "{situation}: first_response returned Ok(2) only after {:?}: it must return once mirror 2's Ok \
                 arrives, cancelling the others instead of waiting for them to finish by themselves",
                first.took
            ),
        );
    }
    // The race: mirror 0 answers at once, while the others may still be on
    // their way into Cancel::sleep.
    let situation = "mirror 0 answers Ok(7) at once and mirrors 1 to 3 never answer";
    let plans = [Plan::AnswersAfter(Duration::ZERO, 7), Plan::NeverAnswers, Plan::NeverAnswers, Plan::NeverAnswers];
    let raced = call(&plans, FOREVER * 2);
    check_cancelled_and_joined(situation, &raced, Cancellation::RacingMirrorsGoingToSleep);
    check_outcome(situation, &raced, &Ok(7), "The first Ok wins.");
}

/// Errors first, then an Ok: the Ok wins over the errors that came before
/// it, and the call cancels and joins the rest the instant it arrives.
fn an_ok_after_errors_wins() {
    // The calm call: when mirror 2 answers, mirror 3 is surely asleep.
    let situation = "mirror 0 fails at once, mirror 1 fails after 5 ms, mirror 2 answers Ok(2) after 10 ms and \
                     mirror 3 never answers";
    let plans = [
        Plan::FailsAfter(Duration::ZERO),
        Plan::FailsAfter(5 * MS),
        Plan::AnswersAfter(10 * MS, 2),
        Plan::NeverAnswers,
    ];
    let calm = call(&plans, FOREVER * 2);
    check_cancelled_and_joined(situation, &calm, Cancellation::WhileAllAsleep);
    check_outcome(
        situation,
        &calm,
        &Ok(2),
        "Errors only end the wait when every mirror has failed: while one is still working, keep waiting, \
         and an Ok that comes after errors still wins",
    );
    // The race: at the instant mirror 1 answers, mirrors 2 and 3 wake from
    // a sleep of their own and go back to sleep while the call cancels.
    let situation = "mirror 0 fails at once, mirror 1 answers Ok(1) after 10 ms, and mirrors 2 and 3 sleep 10 ms \
                     and then never answer";
    let plans = [
        Plan::FailsAfter(Duration::ZERO),
        Plan::AnswersAfter(10 * MS, 1),
        Plan::NeverAnswersAfter(10 * MS),
        Plan::NeverAnswersAfter(10 * MS),
    ];
    let raced = call(&plans, FOREVER * 2);
    check_cancelled_and_joined(situation, &raced, Cancellation::RacingMirrorsGoingToSleep);
    check_outcome(situation, &raced, &Ok(1), "An Ok that comes after errors still wins.");
}

hidden_tests! {
    fn explored_the_first_ok_wins_and_every_mirror_is_cancelled_and_joined_in_every_schedule() {
        failing_means(Category::BusyWait);
        explore(
            "first_response",
            "explored_the_first_ok_wins_and_every_mirror_is_cancelled_and_joined_in_every_schedule",
            Budget::default(),
            "first_response must return the first Ok the instant it arrives, whatever the order in which the \
             threads run, and before returning cancel every mirror still working and join them all. Time is \
             virtual in this test (it moves only when every thread is blocked), so a mirror that answers \
             after 10 ms always answers before one that answers after 30 ms, and a call that waits by polling \
             never sees time pass. A mirror asleep in Cancel::sleep must wake the moment the call cancels, \
             also when the cancellation comes just as it goes to sleep: Cancel::sleep has to look at the flag \
             and begin waiting under the same lock that cancel() raises the flag under.",
            the_first_ok_wins,
        );
    }

    fn explored_an_ok_after_errors_wins_and_every_mirror_is_cancelled_and_joined_in_every_schedule() {
        failing_means(Category::BusyWait);
        explore(
            "first_response",
            "explored_an_ok_after_errors_wins_and_every_mirror_is_cancelled_and_joined_in_every_schedule",
            Budget::default(),
            "an Ok that arrives after errors must still win, whatever the order in which the threads run, \
             and the call must then cancel every mirror still working and join them all before returning. \
             Time is virtual in this test (it moves only when every thread is blocked), so a call that waits \
             by polling never sees time pass. A mirror must wake from Cancel::sleep the moment the call \
             cancels, also when the cancellation comes just as it goes back to sleep after a sleep of its \
             own: Cancel::sleep has to look at the flag and begin waiting under the same lock that cancel() \
             raises the flag under.",
            an_ok_after_errors_wins,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
