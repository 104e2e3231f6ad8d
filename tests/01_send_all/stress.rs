//! Many callers at once, many rounds, exact counts.

use crate::support::call_mismatch;
use testkit::prelude::*;

hidden_tests! {
    fn concurrent_callers_each_get_exactly_their_own_calls() {
        failing_means(Category::WrongResult);
        // CALLERS threads call send_all at the same moment (a Barrier starts
        // every round), each with its own list, duplicates included. Right
        // after each send_all returns, its calls must be exactly its list:
        // no call lost, none added, none still running, none from another
        // caller's list.
        const CALLERS: usize = 4;
        const ROUNDS: usize = 30;
        const PER_LIST: usize = 8;
        let outcome = within(Duration::from_secs(8), || {
            let start = Arc::new(Barrier::new(CALLERS));
            let total = Arc::new(AtomicUsize::new(0));
            let callers: Vec<_> = (0..CALLERS)
                .map(|caller| {
                    let (start, total) = (start.clone(), total.clone());
                    thread::spawn(move || {
                        // Addresses repeat within a list (index % 5), and
                        // each caller has its own set.
                        let list: Vec<String> =
                            (0..PER_LIST).map(|i| format!("caller{caller}-user{}@example.com", i % 5)).collect();
                        let mut problems = Vec::new();
                        for round in 0..ROUNDS {
                            start.wait();
                            let seen = Arc::new(Mutex::new(Vec::new()));
                            let (log, total) = (seen.clone(), total.clone());
                            // Never unwind out of this thread: the other
                            // callers would wait at the barrier forever.
                            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                send_all::send_all(&list, move |a: &str| {
                                    log.lock().unwrap().push(a.to_string());
                                    total.fetch_add(1, Ordering::SeqCst);
                                })
                            }));
                            if result.is_err() {
                                problems.push(format!("caller {caller}, round {round}: send_all panicked"));
                                continue;
                            }
                            let seen = seen.lock().unwrap().clone();
                            if let Some(p) = call_mismatch(&list, &seen) {
                                problems.push(format!("caller {caller}, round {round}: {p}"));
                            }
                        }
                        problems
                    })
                })
                .collect();
            let problems: Vec<String> = callers.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect();
            (problems, total.load(Ordering::SeqCst))
        });
        failing_means(Category::Deadlock);
        let Some((problems, total)) = outcome else {
            panic!(
                "{CALLERS} threads calling send_all {ROUNDS} times each with {PER_LIST} quick calls did not \
                 finish within 8 s: does send_all use shared state (a global pool, a static counter) that \
                 one caller can hold while another waits for it?"
            );
        };
        failing_means(Category::WrongResult);
        assert!(
            problems.is_empty(),
            "{CALLERS} threads called send_all at the same time, {ROUNDS} rounds, and right after some \
             calls returned, the emails sent did not match the list: {} (and {} more). Each send_all must \
             make exactly one call per entry of its own slice and wait for all of them, whoever else is \
             calling send_all at the same moment.",
            problems[0],
            problems.len() - 1,
        );
        assert_eq!(
            total,
            CALLERS * ROUNDS * PER_LIST,
            "over all rounds send_email ran {total} times instead of {}: one call per entry, no more",
            CALLERS * ROUNDS * PER_LIST,
        );
    }
}
