//! Many callers at once, many rounds, exact results and exact counts.

use testkit::prelude::*;

/// Caller `caller`'s url number `i`.
fn url(caller: usize, i: usize) -> String {
    format!("https://caller{caller}.example/{i}")
}

/// The index back from a url made by [`url`] for this caller.
fn index(caller: usize, url: &str) -> Option<usize> {
    url.strip_prefix(&format!("https://caller{caller}.example/"))?.parse().ok()
}

/// What caller `caller`'s fetch returns for url `i`: one in five fails.
fn result(caller: usize, i: usize) -> Result<usize, String> {
    if i % 5 == 2 { Err(format!("caller {caller}: url {i} refused")) } else { Ok(caller * 1000 + i) }
}

hidden_tests! {
    fn concurrent_callers_each_get_exactly_their_own_results() {
        // CALLERS threads call fetch_all at the same moment (a Barrier starts
        // every round), each with its own urls and its own max_in_flight.
        // After each call: every one of its urls fetched exactly once, by its
        // own fetch, the results in the order of its urls, and never more
        // than its max_in_flight at once.
        const CALLERS: usize = 4;
        const ROUNDS: usize = 15;
        const PER_LIST: usize = 12;
        let outcome = within(Duration::from_secs(8), || {
            let start = Arc::new(Barrier::new(CALLERS));
            let total = Arc::new(AtomicUsize::new(0));
            let callers: Vec<_> = (0..CALLERS)
                .map(|caller| {
                    let (start, total) = (start.clone(), total.clone());
                    thread::spawn(move || {
                        let list: Vec<String> = (0..PER_LIST).map(|i| url(caller, i)).collect();
                        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
                        let expected: Vec<Result<usize, String>> = (0..PER_LIST).map(|i| result(caller, i)).collect();
                        let mut problems = Vec::new();
                        for round in 0..ROUNDS {
                            let max = 1 + (round + caller) % 4;
                            start.wait();
                            let counts: Arc<Vec<AtomicUsize>> = Arc::new((0..PER_LIST).map(|_| AtomicUsize::new(0)).collect());
                            let strangers = Arc::new(AtomicUsize::new(0));
                            let gauge = Arc::new(Gauge::new());
                            let (c, s, g, t) = (counts.clone(), strangers.clone(), gauge.clone(), total.clone());
                            // Never unwind out of this thread: the other
                            // callers would wait at the barrier forever.
                            let returned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                fetch_all::fetch_all(&refs, max, move |u: &str| {
                                    let _inside = g.enter();
                                    t.fetch_add(1, Ordering::SeqCst);
                                    // A short fetch, so that the callers' calls overlap.
                                    thread::sleep(Duration::from_micros(300));
                                    match index(caller, u).filter(|&i| i < PER_LIST) {
                                        Some(i) => {
                                            c[i].fetch_add(1, Ordering::SeqCst);
                                            result(caller, i)
                                        }
                                        None => {
                                            s.fetch_add(1, Ordering::SeqCst);
                                            Err(format!("not my url: {u}"))
                                        }
                                    }
                                })
                            }));
                            let at = format!("caller {caller}, round {round} (max_in_flight {max})");
                            // What only this test sees (the others make one call at
                            // a time): calls that run together overwrite each
                            // other's state, kept where every call shares it.
                            let clobbered = || failing_means(Category::LostUpdate);
                            let results = match returned {
                                Ok(results) => results,
                                Err(payload) => {
                                    let message = payload
                                        .downcast_ref::<&str>()
                                        .map(|s| s.to_string())
                                        .or_else(|| payload.downcast_ref::<String>().cloned())
                                        .unwrap_or_default();
                                    clobbered();
                                    problems.push(format!("{at}: fetch_all panicked (\"{message}\")"));
                                    continue;
                                }
                            };
                            let counts: Vec<usize> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
                            if let Some(p) = crate::support::count_mismatch(&counts) {
                                clobbered();
                                problems.push(format!("{at}: {p}"));
                            }
                            let strangers = strangers.load(Ordering::SeqCst);
                            if strangers > 0 {
                                clobbered();
                                problems.push(format!("{at}: fetch was called {strangers} time(s) with another caller's url"));
                            }
                            if let Some(p) = crate::support::order_mismatch(&expected, &results) {
                                clobbered();
                                problems.push(format!("{at}: {p}"));
                            }
                            if gauge.max() > max {
                                failing_means(Category::TooConcurrent);
                                problems.push(format!("{at}: {} fetches ran at once", gauge.max()));
                            }
                        }
                        problems
                    })
                })
                .collect();
            let problems: Vec<String> = callers.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect();
            (problems, total.load(Ordering::SeqCst))
        });
        let Some((problems, total)) = outcome else {
            failing_means(Category::Deadlock);
            panic!(
                "{CALLERS} threads calling fetch_all {ROUNDS} times each with {PER_LIST} short fetches did \
                 not finish within 8 s: does fetch_all use shared state (a static counter or queue, a \
                 global pool) that one caller can hold while another waits for it?"
            );
        };
        assert!(
            problems.is_empty(),
            "{CALLERS} threads called fetch_all at the same time, {ROUNDS} rounds, each with its own urls, \
             and some calls went wrong: {} (and {} more). Each call must fetch exactly its own urls, once \
             each, and return their results in order, whoever else is calling fetch_all at the same \
             moment: keep the next-url index, the queue and the results local to the call, never in a \
             static.",
            problems[0],
            problems.len() - 1,
        );
        failing_means(Category::WrongResult);
        assert_eq!(
            total,
            CALLERS * ROUNDS * PER_LIST,
            "over all rounds fetch ran {total} times instead of {}: one fetch per url, no more",
            CALLERS * ROUNDS * PER_LIST,
        );
    }
}
