//! For any list of addresses, the calls are exactly the entries of the list.

use crate::support::call_mismatch;
use proptest::prelude::*;
use testkit::prelude::*;

/// A few addresses, so that generated lists repeat them; the empty string
/// and non-ASCII text are addresses like any other.
const POOL: &[&str] = &["ana@example.com", "bo@example.com", "", "zoë@exämple.org", "ana@example.com "];

hidden_tests! {
    fn calls_match_the_list_for_any_list_of_addresses() {
        failing_means(Category::WrongResult);
        let lists = proptest::collection::vec(proptest::sample::select(POOL).prop_map(String::from), 0..20);
        check_property(
            "calls_match_the_list_for_any_list_of_addresses",
            48,
            lists,
            "for this list of addresses, the calls send_all made were not exactly one call per entry \
             (duplicates and empty strings included), finished before send_all returned",
            |list| {
                let seen = Arc::new(Mutex::new(Vec::new()));
                let log = seen.clone();
                let returned = crate::support::send_all_within(GENEROUS, list.clone(), move |a: &str| {
                    log.lock().unwrap().push(a.to_string());
                });
                prop_assert!(returned, "send_all did not return within 5 s");
                let seen = seen.lock().unwrap().clone();
                let mismatch = call_mismatch(&list, &seen);
                prop_assert!(mismatch.is_none(), "{}", mismatch.unwrap_or_default());
                Ok(())
            },
        );
    }
}
