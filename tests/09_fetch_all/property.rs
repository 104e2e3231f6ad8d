//! For any list of urls (repeats included) and any limit, fetch_all agrees
//! with fetching them one by one.

use crate::support::{call_mismatch, order_mismatch, run_fetch_all};
use proptest::prelude::*;
use testkit::prelude::*;

/// A few urls, so that generated lists repeat them; the empty string and
/// non-ASCII text are urls like any other here.
const POOL: &[&str] =
    &["https://a.example/", "https://b.example/x", "", "https://zoë.example/ü", "https://a.example/ "];

/// The model: what fetching one url gives.
fn model(url: &str) -> Result<String, usize> {
    if url.len() % 2 == 0 { Ok(url.chars().rev().collect()) } else { Err(url.len()) }
}

hidden_tests! {
    fn results_and_calls_match_the_list_for_any_urls_and_limit() {
        let inputs = (proptest::collection::vec(proptest::sample::select(POOL).prop_map(String::from), 0..16), 1usize..=5);
        check_property(
            "results_and_calls_match_the_list_for_any_urls_and_limit",
            48,
            inputs,
            "for this list of urls and max_in_flight, fetch_all did not fetch each entry exactly once \
             (repeats included), keep within max_in_flight, and return each entry's result in its place",
            |(list, max)| {
                let seen = Arc::new(Mutex::new(Vec::new()));
                let gauge = Arc::new(Gauge::new());
                let (log, g) = (seen.clone(), gauge.clone());
                let outcome = run_fetch_all(GENEROUS, list.clone(), max, move |url: &str| {
                    let _inside = g.enter();
                    log.lock().unwrap().push(url.to_string());
                    model(url)
                });
                let results = match outcome {
                    crate::support::Run::Returned(results) => results,
                    // Declared only by a failing case: shrinking runs passing
                    // cases after failing ones.
                    crate::support::Run::Panicked(message) => {
                        failing_means(Category::Panic);
                        return Err(TestCaseError::fail(format!("fetch_all panicked: \"{message}\"")));
                    }
                    crate::support::Run::DidNotReturn => {
                        failing_means(Category::Deadlock);
                        return Err(TestCaseError::fail("fetch_all did not return within 5 s"));
                    }
                };
                let seen = seen.lock().unwrap().clone();
                let calls = call_mismatch(&list, &seen);
                prop_assert!(calls.is_none(), "{}", calls.unwrap_or_default());
                let expected: Vec<_> = list.iter().map(|u| model(u)).collect();
                let order = order_mismatch(&expected, &results);
                prop_assert!(order.is_none(), "{}", order.unwrap_or_default());
                if gauge.max() > max {
                    failing_means(Category::TooConcurrent);
                }
                prop_assert!(gauge.max() <= max, "{} fetches ran at once with max_in_flight {max}", gauge.max());
                Ok(())
            },
        );
    }
}
