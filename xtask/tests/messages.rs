//! What `check` tells a learner, snapshot by snapshot: for each category of
//! mistake, one mutant (a realistic wrong answer) judged by the hidden test
//! that names that mistake, and the whole screen the learner would read.
//!
//! The snapshots live in `snapshots/` and are reviewed like code: a change
//! to a message, an explanation or a lesson section shows up as a diff
//! (`cargo insta review`, or delete the `.snap` file and re-run). Paths to
//! temporary folders, the figures a race makes different each run, and the
//! learner's progress line are redacted.
//!
//! Each case runs one test (`check --test`), so it costs one build and one
//! test process. A race shows itself in nearly every run of these tests, but
//! not in every one: a case whose test passed by luck is run again, up to
//! [`ATTEMPTS`] times, and fails if the mistake never showed.

mod support;

use support::{FixtureCourse, course_root};

/// Runs of a racy case before it counts as not caught.
const ATTEMPTS: usize = 4;

/// `cargo xtask check EXERCISE --source SOURCE --test TEST` on the real
/// course, until it reports the failure (exit status 1).
fn check_message(exercise: &str, source: &str, test: &str) -> String {
    require_gdb();
    let source = course_root().join(source);
    assert!(source.is_file(), "{} is missing", source.display());
    let mut outputs = Vec::new();
    for _ in 0..ATTEMPTS {
        let output = assert_cmd::Command::cargo_bin("xtask")
            .unwrap()
            .args(["check", exercise, "--test", test, "--source"])
            .arg(&source)
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        match output.status.code() {
            Some(1) => return text,
            Some(0) => outputs.push(text),
            other => panic!("check ended with {other:?}, not with a verdict:\n{text}"),
        }
    }
    panic!("{test} passed {} in {ATTEMPTS} runs: the mistake never showed:\n{}", source.display(), outputs.join("\n"));
}

/// Several messages show where threads were, which takes gdb.
fn require_gdb() {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !std::env::split_paths(&path).any(|dir| dir.join("gdb").is_file()) {
        panic!("these snapshots show threads' stacks, which needs gdb (apt-get install gdb); .ci/run installs it");
    }
}

/// Redacts what changes from run to run, then compares with the snapshot.
macro_rules! assert_message {
    ($name:expr, $text:expr, [$(($pattern:expr, $replacement:expr)),* $(,)?]) => {
        insta::with_settings!({
            snapshot_suffix => "",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            filters => vec![
                $(($pattern, $replacement),)*
                (r"in round \d+", "in round [N]"),
                (r"(?m)^Progress: .*$", "Progress: [PROGRESS]"),
                (r"/tmp/[^/\s]+", "[TMP]"),
            ],
        }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[test]
fn wrong_result() {
    let text = check_message("04", "tests/04_counter/mutants/add_ignores_its_amount.rs", "add_adds_exactly_n");
    assert_message!("wrong_result", text, []);
}

#[test]
fn lost_update() {
    let text = check_message("04", "tests/04_counter/mutants/lost_update_in_add.rs", "concurrent_adds_are_never_lost");
    assert_message!("lost_update", text, [(r"value\(\) is \d+, \d+ short", "value() is [N], [N] short")]);
}

#[test]
fn check_then_act() {
    let text = check_message(
        "04",
        "tests/04_counter/mutants/increment_below_checks_then_acts.rs",
        "increment_below_lets_exactly_limit_calls_through",
    );
    assert_message!(
        "check_then_act",
        text,
        [(r"but \d+ returned true and value\(\) is \d+", "but [N] returned true and value() is [N]")]
    );
}

#[test]
fn lost_wakeup() {
    let text = check_message(
        "02",
        "tests/02_wait_group/mutants/notify_one_wakes_a_single_waiter.rs",
        "every_waiter_is_released_when_the_counter_reaches_zero",
    );
    // Which waiter the single notify_one woke differs from run to run.
    assert_message!("lost_wakeup", text, [(r#"thread \d+ "waiter-\d+""#, r#"thread [N] "waiter-[N]""#)]);
}

#[test]
fn deadlock() {
    let text = check_message(
        "12",
        "tests/12_bank/mutants/same_account_locks_one_mutex_twice.rs",
        "transfer_to_the_same_account_is_refused_without_deadlock",
    );
    assert_message!("deadlock", text, []);
}

#[test]
fn leaked_thread() {
    let text = check_message(
        "08",
        "tests/08_worker_pool/mutants/shutdown_drops_the_handles_instead_of_joining.rs",
        "shutdown_waits_for_running_jobs_and_leaves_no_thread_behind",
    );
    assert_message!("leaked_thread", text, []);
}

#[test]
fn busy_wait() {
    let text = check_message(
        "02",
        "tests/02_wait_group/mutants/wait_spins_with_yield_now.rs",
        "waiting_threads_sleep_instead_of_spinning",
    );
    // The test measures CPU time, or on a loaded machine samples whether
    // the waiters are asleep; either way it says what it measured.
    assert_message!(
        "busy_wait",
        text,
        [
            (r"waiting for 1 task; .*?\. A waiting thread", "waiting for 1 task; [WHAT IT MEASURED]. A waiting thread"),
            (r"blocking\.rs:\d+:\d+", "blocking.rs:[LINE]"),
        ]
    );
}

#[test]
fn ignored_cancellation() {
    let text = check_message(
        "07",
        "tests/07_cancellable_worker/mutants/deaf_to_cancel_while_idle.rs",
        "a_cancel_message_stops_an_idle_worker",
    );
    assert_message!("ignored_cancellation", text, []);
}

#[test]
fn not_concurrent() {
    let text = check_message(
        "01",
        "tests/01_send_all/mutants/calls_each_address_in_a_plain_loop.rs",
        "each_call_runs_on_a_thread_of_its_own",
    );
    assert_message!("not_concurrent", text, []);
}

#[test]
fn too_concurrent() {
    let text = check_message(
        "08",
        "tests/08_worker_pool/mutants/a_thread_per_job.rs",
        "never_more_than_workers_jobs_run_at_once",
    );
    assert_message!(
        "too_concurrent",
        text,
        [(r"ran \d+ jobs at the same time \(\d+ while", "ran [N] jobs at the same time ([N] while")]
    );
}

#[test]
fn order() {
    let text = check_message(
        "03",
        "tests/03_spawn_senders/mutants/handles_returned_in_reverse_order.rs",
        "handles_are_in_user_order_even_when_later_users_finish_first",
    );
    assert_message!("order", text, []);
}

#[test]
fn panic() {
    let text = check_message(
        "08",
        "tests/08_worker_pool/mutants/panicking_job_kills_its_worker.rs",
        "a_job_that_panics_does_not_stop_the_jobs_after_it",
    );
    assert_message!("panic", text, []);
}

#[test]
fn forbidden_construct() {
    let text = check_message("05", "tests/05_atomic_counter/mutants/uses_a_mutex.rs", "rule_no_locks");
    assert_message!("forbidden_construct", text, []);
}

#[test]
fn compile_error() {
    let text = check_message(
        "01",
        "xtask/tests/fixtures/messages/send_all_does_not_compile.rs",
        "each_call_runs_on_a_thread_of_its_own",
    );
    assert_message!("compile_error", text, []);
}

/// A call into the learner's code that never came back shows where it
/// waits, whatever the test's category.
#[test]
fn a_call_that_never_returns_shows_where_it_waits() {
    let text = check_message(
        "01",
        "xtask/tests/fixtures/messages/send_all_never_returns.rs",
        "each_call_runs_on_a_thread_of_its_own",
    );
    assert_message!("call_that_never_returns", text, []);
}

/// The course's tests never leave it to the runner's timeout, so this one
/// comes from the fixture course: a test with a 2 s timeout whose two
/// threads take two locks in opposite orders. It is explained with the real
/// course's catalogue, so the words are the ones a learner would read.
#[test]
fn timeout() {
    require_gdb();
    let course = FixtureCourse::new();
    std::fs::copy(course_root().join("tests/categories.toml"), course.path().join("tests/categories.toml")).unwrap();
    let output = course.xtask().args(["check", "mixed", "--test", "deadlocks"]).env("NO_COLOR", "1").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_message!("timeout", text, []);
}

/// The lock-order deadlock of exercise 12 reads as the threads involved,
/// each blocked in `lock()` at the mutant's own lines: two of them hold
/// their `from` account and wait at the line that locks `to`. (Which worker
/// thread waits where changes from run to run, so this is checked by
/// assertion rather than by snapshot.)
#[test]
fn a_lock_order_deadlock_names_both_threads_and_the_learners_lines() {
    let mutant = "tests/12_bank/mutants/locks_from_then_to.rs";
    let text = check_message("12", mutant, "opposite_transfers_never_deadlock");
    let source = std::fs::read_to_string(course_root().join(mutant)).unwrap();
    let line_of = |needle: &str| {
        source.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{mutant} has no `{needle}`")) + 1
    };
    let (helper, locks_to) = (line_of(".lock().unwrap()"), line_of("self.lock(to)"));
    assert!(text.contains("[Deadlock]"), "{text}");
    assert!(text.contains("Where each thread of your code was:"), "{text}");
    let blocked = format!("blocked in Mutex::lock at {mutant}:{helper}");
    let waits_for_to = format!("called from {mutant}:{locks_to} (transfer)");
    let threads: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("thread ")).collect();
    assert!(
        threads.iter().filter(|l| l.contains(&blocked)).count() >= 2,
        "at least two threads wait in lock() at line {helper}: {text}"
    );
    assert!(
        text.matches(&waits_for_to).count() >= 2,
        "two threads hold one account each and wait at line {locks_to} for the other: {text}"
    );
}

/// A failed property shows the smallest input proptest shrank it to, and a
/// command that runs exactly those cases again: running that command gives
/// the same input, because the inputs come from a seed fixed per test.
#[test]
fn a_property_failure_shows_its_smallest_input_and_how_to_replay_it() {
    let mutant = "tests/04_counter/mutants/add_ignores_its_amount.rs";
    let first = check_message("04", mutant, "sequential_operations_match_a_plain_number");
    let smallest = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with("smallest failing input:"))
            .unwrap_or_else(|| panic!("no smallest failing input in:\n{text}"))
            .trim()
            .to_string()
    };
    let replay = first
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("Replay:"))
        .and_then(|l| l.split('`').nth(1))
        .unwrap_or_else(|| panic!("no replay command in:\n{first}"));
    let words: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(words[..3], ["cargo", "xtask", "check"], "{replay}");
    let test_flag = words.iter().position(|w| *w == "--test").expect("the command names the test");
    let again = check_message(words[3], mutant, words[test_flag + 1]);
    assert_eq!(smallest(&first), smallest(&again), "the replay tried other inputs");
    assert_message!("property", first, []);
}
