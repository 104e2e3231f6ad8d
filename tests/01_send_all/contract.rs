//! What `send_all` promises, one promise per test.

use crate::support::{Gate, addresses, call_mismatch, send_all_within};
use std::collections::HashSet;
use testkit::prelude::*;

/// The address whose call panics in the panic test.
const FAILING_ADDRESS: &str = "bounces@example.com";

hidden_tests! {
    fn calls_send_email_once_for_each_address() {
        failing_means(Category::WrongResult);
        let addrs = addresses(10);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let returned = send_all_within(GENEROUS, addrs.clone(), move |a: &str| {
            log.lock().unwrap().push(a.to_string());
        });
        assert!(
            returned,
            "send_all did not return within 5 s for 10 calls that return at once: it must wait for its \
             calls, but not for anything else (does it wait for a thread it never started?)"
        );
        let seen = seen.lock().unwrap().clone();
        if let Some(problem) = call_mismatch(&addrs, &seen) {
            panic!(
                "after send_all returned, {problem}. send_all must call send_email exactly once for every \
                 address, passing that address, and must not return before those calls are done."
            );
        }
    }

    fn calls_once_per_entry_even_for_duplicate_addresses() {
        failing_means(Category::WrongResult);
        let addrs: Vec<String> = [
            "ana@example.com",
            "bo@example.com",
            "ana@example.com",
            "cy@example.com",
            "ana@example.com",
            "bo@example.com",
        ]
        .map(String::from)
        .to_vec();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let returned = send_all_within(GENEROUS, addrs.clone(), move |a: &str| {
            log.lock().unwrap().push(a.to_string());
        });
        assert!(returned, "send_all did not return within 5 s for 6 calls that return at once");
        let seen = seen.lock().unwrap().clone();
        if let Some(problem) = call_mismatch(&addrs, &seen) {
            panic!(
                "{problem}. Every entry of the slice is one email to send, so an address listed three \
                 times is sent three times: do not remove duplicates (with a HashSet or dedup) before \
                 starting the threads."
            );
        }
    }

    fn returns_at_once_for_an_empty_list() {
        failing_means(Category::WrongResult);
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let returned = send_all_within(GENEROUS, Vec::new(), move |_: &str| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert!(
            returned,
            "send_all with an empty slice did not return within 5 s: with no addresses there is nothing \
             to wait for, so it must return at once (does it wait for a count of finished calls that \
             can never grow, or for a message that no thread will send?)"
        );
        let made = calls.load(Ordering::SeqCst);
        assert_eq!(made, 0, "send_all with an empty slice called send_email {made} time(s); it must make no call");
    }

    fn each_call_runs_on_a_thread_of_its_own() {
        failing_means(Category::WrongResult);
        const CALLS: usize = 16;
        let threads = Arc::new(Mutex::new(Vec::new()));
        let log = threads.clone();
        let returned = send_all_within(GENEROUS, addresses(CALLS), move |_: &str| {
            log.lock().unwrap().push(thread::current().id());
        });
        assert!(returned, "send_all did not return within 5 s for {CALLS} calls that return at once");
        let threads = threads.lock().unwrap().clone();
        assert_eq!(threads.len(), CALLS, "send_all made {} calls for {CALLS} addresses", threads.len());
        let distinct = threads.iter().collect::<HashSet<_>>().len();
        failing_means(Category::NotConcurrent);
        assert_eq!(
            distinct,
            CALLS,
            "the {CALLS} calls ran on only {distinct} different thread(s). send_all must start one new \
             thread per address, so that a slow email never delays another one; calling send_email in a \
             plain loop runs them all on one thread, and a fixed pool of a few threads makes the calls \
             queue behind each other."
        );
    }

    fn returns_only_after_every_call_has_finished() {
        failing_means(Category::NotConcurrent);
        // Each call, after its work, waits (up to HOLD) for the test to say
        // "send_all has returned", and notes whether it heard that. A correct
        // send_all is still waiting for the call at that point, so no call
        // ever hears it, and every call has finished before send_all returns.
        // A send_all that starts its threads and leaves without joining them
        // returns while they wait, which the counts below show.
        const CALLS: usize = 8;
        const HOLD: Duration = Duration::from_secs(1);
        struct Probe {
            returned: Gate,
            finished: AtomicUsize,
            heard_return: AtomicUsize,
        }
        let probe = Arc::new(Probe { returned: Gate::new(), finished: AtomicUsize::new(0), heard_return: AtomicUsize::new(0) });
        let in_calls = probe.clone();
        let after = probe.clone();
        let outcome = within(GENEROUS, move || {
            send_all::send_all(&addresses(CALLS), move |_: &str| {
                if in_calls.returned.wait_until(Instant::now() + HOLD) {
                    in_calls.heard_return.fetch_add(1, Ordering::SeqCst);
                }
                in_calls.finished.fetch_add(1, Ordering::SeqCst);
            });
            // Read the count before telling the calls: a call still waiting
            // now has not finished, and cannot finish until told (or until
            // HOLD has passed).
            let finished_at_return = after.finished.load(Ordering::SeqCst);
            after.returned.open();
            finished_at_return
        });
        let Some(finished_at_return) = outcome else {
            panic!(
                "send_all did not return within 5 s for {CALLS} calls that each take about 1 s. Running at \
                 the same time, as they must, they all end after about 1 s; one after another they would \
                 take {CALLS} s. Start every thread before waiting for any of them."
            );
        };
        // Let threads that a broken send_all left behind end before the next test.
        eventually(GENEROUS, || probe.finished.load(Ordering::SeqCst) >= CALLS);
        let heard = probe.heard_return.load(Ordering::SeqCst);
        failing_means(Category::LeakedThread);
        assert!(
            finished_at_return == CALLS && heard == 0,
            "send_all returned before its {CALLS} calls had finished: {finished_at_return} had finished \
             when it returned, and {heard} were seen still running after it had. The caller does not wait for a thread by itself: \
             send_all must wait for every thread it started (join each handle, or start them inside \
             std::thread::scope, which joins them all) before it returns. Otherwise the caller goes on, \
             or the program exits, while emails are still being sent.",
        );
    }

    fn a_panicking_call_reaches_the_caller_after_the_others_finish() {
        failing_means(Category::Panic);
        // One call panics; the others wait until it has panicked (or until a
        // shared deadline) and only then finish. A correct send_all waits for
        // all of them and then panics itself.
        const CALLS: usize = 12;
        struct Probe {
            panicked: Gate,
            give_up_at: Instant,
            others_finished: AtomicUsize,
        }
        let probe = Arc::new(Probe {
            panicked: Gate::new(),
            give_up_at: Instant::now() + Duration::from_secs(2),
            others_finished: AtomicUsize::new(0),
        });
        let mut addrs = addresses(CALLS);
        addrs[CALLS / 2] = FAILING_ADDRESS.to_string();
        let in_calls = probe.clone();
        let after = probe.clone();
        let outcome = within(GENEROUS, move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                send_all::send_all(&addrs, move |a: &str| {
                    if a == FAILING_ADDRESS {
                        in_calls.panicked.open();
                        panic!("the mail server refused {a} (a deliberate panic from the test: this one is expected)");
                    }
                    in_calls.panicked.wait_until(in_calls.give_up_at);
                    in_calls.others_finished.fetch_add(1, Ordering::SeqCst);
                })
            }));
            (result.is_err(), after.others_finished.load(Ordering::SeqCst))
        });
        let Some((panicked, finished)) = outcome else {
            panic!(
                "send_all did not return within 5 s after one of its {CALLS} calls panicked (the others end \
                 right after it). A panicking call never runs the code after it, so a count of finished \
                 calls kept by hand never reaches {CALLS}; join the threads (or use std::thread::scope), \
                 which notices a thread that ended by panicking."
            );
        };
        eventually(GENEROUS, || probe.others_finished.load(Ordering::SeqCst) >= CALLS - 1);
        assert!(
            panicked,
            "one of the {CALLS} calls panicked, but send_all returned normally, so the caller believes \
             every email was sent. The panic must reach the caller: std::thread::scope re-raises it when \
             the scope ends, and JoinHandle::join returns it as an Err that you can pass on with \
             std::panic::resume_unwind. Do not throw that Err away."
        );
        assert_eq!(
            finished,
            CALLS - 1,
            "send_all panicked while only {finished} of the {} other calls had finished. It must first wait \
             for every other call (they are still sending emails), and only then report the panic.",
            CALLS - 1,
        );
    }
}
