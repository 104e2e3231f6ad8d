//! What `fetch_all` promises, one promise per test.

use crate::support::{
    GatedFetch, OpenOnDrop, call_mismatch, count_mismatch, index_of, order_mismatch, run_fetch_all, start_gated, urls,
};
use testkit::prelude::*;

/// The result the quick fetches of these tests give for url `i`: some fail,
/// so that errors have to travel back in their place too.
fn quick_result(i: usize) -> Result<usize, String> {
    if i % 3 == 1 { Err(format!("page {i} timed out")) } else { Ok(i * 10) }
}

hidden_tests! {
    fn returns_each_result_in_the_position_of_its_url() {
        const URLS: usize = 10;
        const MAX: usize = 3;
        failing_means(Category::WrongResult);
        let results = run_fetch_all(GENEROUS, urls(URLS), MAX, |url: &str| {
            quick_result(index_of(url).unwrap_or(usize::MAX))
        })
        .expect_returned(
            "fetch_all with 10 urls and max_in_flight 3",
            "its fetches return at once, so it should be done in microseconds. Does a worker wait for \
             something that never comes (a channel nobody closes, a count that never reaches its target)?",
        );
        let expected: Vec<_> = (0..URLS).map(quick_result).collect();
        if let Some(problem) = order_mismatch(&expected, &results) {
            panic!(
                "fetch_all with {URLS} urls (some fetches fail with Err) returned the wrong results: \
                 {problem}. Result i must be what fetch returned for urls[i], Ok or Err, in the order of \
                 urls, whatever order the fetches ran or finished in."
            );
        }
    }

    fn fetches_every_url_exactly_once() {
        // 25 urls and 4 slots: 25 is not a multiple of 4, so an answer that
        // splits the list into equal shares and drops the rest shows it; a
        // third of the fetches fail, so an answer that retries them shows too.
        const URLS: usize = 25;
        const MAX: usize = 4;
        failing_means(Category::WrongResult);
        let calls: Arc<Vec<AtomicUsize>> = Arc::new((0..URLS).map(|_| AtomicUsize::new(0)).collect());
        let strangers = Arc::new(AtomicUsize::new(0));
        let (c, s) = (calls.clone(), strangers.clone());
        let results = run_fetch_all(GENEROUS, urls(URLS), MAX, move |url: &str| match index_of(url) {
            Some(i) if i < URLS => {
                c[i].fetch_add(1, Ordering::SeqCst);
                quick_result(i)
            }
            _ => {
                s.fetch_add(1, Ordering::SeqCst);
                Err(format!("not in the list: {url}"))
            }
        })
        .expect_returned(
            "fetch_all with 25 urls and max_in_flight 4",
            "its fetches return at once, so it should be done in microseconds.",
        );
        let counts: Vec<usize> = calls.iter().map(|c| c.load(Ordering::SeqCst)).collect();
        if let Some(problem) = count_mismatch(&counts) {
            panic!(
                "fetch_all with {URLS} urls and max_in_flight {MAX} returned, but {problem}. Every entry \
                 of urls must be fetched exactly once, Ok or Err: no url left out when the number of urls \
                 does not divide evenly between the workers, and no second try after an Err (the caller \
                 decides what to do with errors)."
            );
        }
        let strangers = strangers.load(Ordering::SeqCst);
        failing_means(Category::WrongResult);
        assert_eq!(strangers, 0, "fetch was called {strangers} time(s) with a string that is not an entry of urls");
        assert_eq!(
            results.len(),
            URLS,
            "fetch_all returned {} results for {URLS} urls: one result per url, in the order of urls",
            results.len()
        );
    }

    fn fetches_each_entry_once_even_when_urls_repeat() {
        // The same url three times is three entries: three fetches, three
        // results, each in its own place.
        let list: Vec<String> = ["a.example", "b.example", "a.example", "c.example", "a.example", "b.example"]
            .map(String::from)
            .to_vec();
        failing_means(Category::WrongResult);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let results = run_fetch_all(GENEROUS, list.clone(), 2, move |url: &str| {
            log.lock().unwrap().push(url.to_string());
            Ok::<String, ()>(url.to_uppercase())
        })
        .expect_returned("fetch_all with 6 urls, some repeated, and max_in_flight 2", "its fetches return at once.");
        let seen = seen.lock().unwrap().clone();
        if let Some(problem) = call_mismatch(&list, &seen) {
            panic!(
                "{problem}. Every entry of urls is one fetch, so a url listed three times is fetched \
                 three times: do not remove duplicates, and take entries by their position in the slice, \
                 not by their text."
            );
        }
        let expected: Vec<Result<String, ()>> = list.iter().map(|u| Ok(u.to_uppercase())).collect();
        if let Some(problem) = order_mismatch(&expected, &results) {
            panic!("with repeated urls, {problem}: result i must be the result of fetching entry i");
        }
    }

    fn handles_more_slots_than_urls() {
        // 64 slots, 5 urls: all 5 may run at once, and each waits for the
        // other 4 to be running too. Nothing may index past the end of urls.
        const URLS: usize = 5;
        const MAX: usize = 64;
        failing_means(Category::WrongResult);
        let meeting = Arc::new(Rendezvous::new(URLS, GENEROUS));
        let met = Arc::new(AtomicUsize::new(0));
        let (m, n) = (meeting.clone(), met.clone());
        let results = run_fetch_all(Duration::from_secs(8), urls(URLS), MAX, move |url: &str| {
            if m.arrive() {
                n.fetch_add(1, Ordering::SeqCst);
            }
            quick_result(index_of(url).unwrap_or(usize::MAX))
        })
        .expect_returned(
            "fetch_all with 5 urls and max_in_flight 64",
            "each fetch waits up to 5 s for the other 4 to be running too, which they may all be.",
        );
        let expected: Vec<_> = (0..URLS).map(quick_result).collect();
        if let Some(problem) = order_mismatch(&expected, &results) {
            panic!("fetch_all with {URLS} urls and max_in_flight {MAX} returned the wrong results: {problem}");
        }
        failing_means(Category::NotConcurrent);
        assert_eq!(
            met.load(Ordering::SeqCst),
            URLS,
            "with max_in_flight {MAX} and only {URLS} urls, all {URLS} fetches may run at once, and each \
             waited for the others, but at most {} ever ran together. When there are fewer urls than \
             slots, every url gets a slot right away: start min(max_in_flight, urls.len()) workers.",
            meeting.max_arrived()
        );
    }

    fn returns_an_empty_vec_for_no_urls() {
        for max in [1, 3] {
            failing_means(Category::WrongResult);
            let calls = Arc::new(AtomicUsize::new(0));
            let c = calls.clone();
            let results = run_fetch_all(GENEROUS, Vec::new(), max, move |_: &str| {
                c.fetch_add(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            })
            .expect_returned(
                &format!("fetch_all with no urls and max_in_flight {max}"),
                "with nothing to fetch there is nothing to wait for. Does it wait for a result that no \
                 worker will ever send?",
            );
            let made = calls.load(Ordering::SeqCst);
            assert!(
                results.is_empty() && made == 0,
                "fetch_all with no urls (max_in_flight {max}) called fetch {made} time(s) and returned {} \
                 result(s); it must call nothing and return an empty Vec",
                results.len()
            );
        }
    }

    fn panics_when_max_in_flight_is_zero() {
        // Zero slots is the caller's mistake, and the contract says to panic.
        failing_means(Category::WrongResult);
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let outcome = run_fetch_all(GENEROUS, urls(4), 0, move |_: &str| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok::<(), ()>(())
        });
        let made = calls.load(Ordering::SeqCst);
        match outcome {
            crate::support::Run::Panicked(_) => {}
            crate::support::Run::Returned(results) => panic!(
                "fetch_all with 4 urls and max_in_flight 0 returned {} result(s) after {made} fetch(es) \
                 instead of panicking. Zero slots means no fetch may ever run: the contract says to panic \
                 (for example with assert!(max_in_flight > 0)), not to quietly use one slot anyway or \
                 return fewer results than urls.",
                results.len()
            ),
            crate::support::Run::DidNotReturn => panic!(
                "fetch_all with 4 urls and max_in_flight 0 was still running after 5 s: with zero slots \
                 no fetch can ever start, so waiting for a free slot waits forever. Check max_in_flight \
                 first and panic when it is 0."
            ),
        }
    }

    fn results_follow_url_order_not_completion_order() {
        // Five urls, five slots: all five fetches start, then the test lets
        // them finish last one first. The results must still come back in
        // the order of urls.
        const URLS: usize = 5;
        let gated = GatedFetch::new(URLS, Instant::now() + Duration::from_secs(20));
        let _open_at_end = OpenOnDrop(gated.clone());
        let rx = start_gated(&gated, URLS, URLS);
        let all_started = eventually(GENEROUS, || gated.started().len() >= URLS);
        let mut finished_in_reverse = all_started;
        if all_started {
            for i in (0..URLS).rev() {
                gated.open(i);
                finished_in_reverse &= eventually(GENEROUS, || gated.finished(i));
            }
        }
        let results = gated.finish(&rx, "fetch_all with 5 urls and max_in_flight 5");
        failing_means(Category::NotConcurrent);
        assert!(
            all_started,
            "fetch_all with {URLS} urls and max_in_flight {URLS} started only {} fetch(es) within 5 s while \
             they were all still running. With as many slots as urls, every fetch may run at once.",
            gated.started().len()
        );
        failing_means(Category::WrongResult);
        assert!(finished_in_reverse, "a fetch that the test let go did not finish within 5 s");
        if let Some(problem) = order_mismatch(&GatedFetch::expected(URLS), &results) {
            panic!(
                "the fetches finished in reverse order (url {} first, url 0 last) and fetch_all returned \
                 the results in the wrong order: {problem}. Results must follow the order of urls, not \
                 the order in which fetches finish: remember each url's index and put its result in \
                 that slot (a Vec of slots, or (index, result) pairs sorted or placed by index).",
                URLS - 1
            );
        }
    }
}
