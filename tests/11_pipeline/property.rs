//! Arbitrary inputs and settings, checked against a plain sequential map.

use crate::support::{read_all, stall_explanation, start};
use proptest::collection::vec;
use proptest::prelude::*;
use testkit::prelude::*;

/// How long the property keeps trying new inputs; a correct pipeline does
/// all of its cases in well under a second.
const EFFORT: Duration = Duration::from_secs(3);
/// How long one case may wait for its receiver to disconnect.
const CASE_DEADLINE: Duration = Duration::from_secs(3);
/// Everything, with a margin: a case that started just before the end of
/// the effort budget may still take its whole deadline.
const PROPERTY_DEADLINE: Duration = Duration::from_secs(9);

/// The function the pipeline applies; it is slower for some values, so that
/// workers finish in a different order than they started.
fn f(x: i32) -> i64 {
    if x.rem_euclid(3) == 0 {
        thread::yield_now();
    }
    i64::from(x) * 7 - 3
}

hidden_tests! {
    fn output_equals_the_sequential_map() {
        failing_means(Category::WrongResult);
        let outcome = within(PROPERTY_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            // After one case stalls, the others pass at once: shrinking a
            // stall would cost a deadline per attempt, and the input that
            // stalled first is shown anyway.
            let stalled = AtomicBool::new(false);
            check_property(
                "output_equals_the_sequential_map",
                64,
                (vec(any::<i32>(), 0..40), 1usize..=4, 1usize..=4),
                "the pipeline's results differ from mapping f over the input one item at a time. For any input, \
                 any number of workers and any capacity, the receiver must yield f(item) for every item, \
                 exactly once, in input order, and then disconnect; and f must be called exactly once per item.",
                |(input, workers, capacity)| {
                    if Instant::now() >= deadline || stalled.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    let want: Vec<i64> = input.iter().map(|&x| f(x)).collect();
                    let calls = Arc::new(AtomicUsize::new(0));
                    let c = calls.clone();
                    let rx = start(
                        input.clone(),
                        move |x: i32| {
                            c.fetch_add(1, Ordering::SeqCst);
                            f(x)
                        },
                        workers,
                        capacity,
                    );
                    let got = match read_all(&rx, CASE_DEADLINE) {
                        Ok(got) => got,
                        Err(got) => {
                            stalled.store(true, Ordering::SeqCst);
                            return Err(TestCaseError::fail(stall_explanation(got.len(), want.len(), CASE_DEADLINE)));
                        }
                    };
                    let i = got.iter().zip(&want).position(|(g, w)| g != w);
                    prop_assert!(
                        i.is_none() && got.len() == want.len(),
                        "with workers = {} and capacity = {}, the receiver gave {} results for {} items; the \
                         first difference from the sequential map is at #{}: {:?}, expected {:?}",
                        workers,
                        capacity,
                        got.len(),
                        want.len(),
                        i.unwrap_or(got.len().min(want.len())),
                        i.map(|i| got[i]),
                        i.map(|i| want[i])
                    );
                    let calls = calls.load(Ordering::SeqCst);
                    prop_assert_eq!(calls, input.len(), "f was called {} times for {} items", calls, input.len());
                    Ok(())
                },
            )
        });
        assert!(
            outcome.is_some(),
            "the property did not finish within {} s: a pipeline call or a read is stuck beyond its own deadline",
            PROPERTY_DEADLINE.as_secs()
        );
    }
}
