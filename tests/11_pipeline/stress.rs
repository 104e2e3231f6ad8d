//! Many pipelines at once, started together by a barrier, round after round:
//! each delivers exactly its own results, and nothing is left running.

use crate::support::{assert_no_thread_left, read_all, stall_explanation, start};
use testkit::prelude::*;

/// Pipelines started together in one round.
const PIPES: usize = 3;
/// Rounds, unless the effort budget runs out first.
const ROUNDS: usize = 24;
/// Items per pipeline.
const ITEMS: u64 = 120;
/// How long the test keeps starting rounds. A correct pipeline does all of
/// them in well under a second; a much slower correct one, on a busy
/// machine, runs fewer rounds instead of timing out. Every check is exact
/// for the rounds that ran.
const EFFORT: Duration = Duration::from_secs(3);

/// What one pipeline of a round saw.
struct Seen {
    workers: usize,
    capacity: usize,
    /// `Some(n)`: the consumer read `n` results and dropped the receiver.
    stopped_after: Option<usize>,
    results: Result<Vec<u64>, Vec<u64>>,
    calls: usize,
}

fn run_one(round: usize, pipe: usize) -> Seen {
    let workers = 1 + (round + pipe) % 4;
    let capacity = 1 + (round / 4 + 2 * pipe) % 4;
    // The last pipeline of each round stops reading part-way.
    let stopped_after = (pipe == PIPES - 1).then_some((round * 37) % ITEMS as usize);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let rx = start(
        0..ITEMS,
        move |x: u64| {
            c.fetch_add(1, Ordering::SeqCst);
            // Uneven work, so the workers finish out of order.
            if x.is_multiple_of(pipe as u64 + 2) {
                thread::yield_now();
            }
            x * 3 + pipe as u64
        },
        workers,
        capacity,
    );
    let results = match stopped_after {
        None => read_all(&rx, GENEROUS),
        Some(n) => {
            let deadline = Instant::now() + GENEROUS;
            let mut got = Vec::new();
            while got.len() < n {
                match rx.recv_deadline(deadline) {
                    Ok(r) => got.push(r),
                    Err(_) => break,
                }
            }
            drop(rx);
            if got.len() == n { Ok(got) } else { Err(got) }
        }
    };
    Seen { workers, capacity, stopped_after, results, calls: calls.load(Ordering::SeqCst) }
}

hidden_tests! {
    fn concurrent_pipelines_each_deliver_exactly_their_own_results() {
        failing_means(Category::WrongResult);
        let before = thread_count();
        let deadline = Instant::now() + EFFORT;
        for round in 0..ROUNDS {
            let start_together = Barrier::new(PIPES);
            let seen: Vec<Seen> = thread::scope(|s| {
                let handles: Vec<_> = (0..PIPES)
                    .map(|pipe| {
                        let start_together = &start_together;
                        s.spawn(move || {
                            start_together.wait();
                            run_one(round, pipe)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            });
            for (pipe, seen) in seen.into_iter().enumerate() {
                let Seen { workers, capacity, stopped_after, results, calls } = seen;
                let want: Vec<u64> = (0..ITEMS).map(|x| x * 3 + pipe as u64).collect();
                let setting = format!(
                    "in round {round}, {PIPES} pipelines ran at once; pipeline {pipe} (input 0..{ITEMS}, \
                     f = |x| x * 3 + {pipe}, workers = {workers}, capacity = {capacity})"
                );
                let got = match results {
                    Ok(got) => got,
                    Err(got) => panic!(
                        "{setting}: {}.",
                        stall_explanation(got.len(), stopped_after.unwrap_or(ITEMS as usize), GENEROUS)
                    ),
                };
                let n = got.len();
                if got[..] != want[..n] {
                    let i = got.iter().zip(&want).position(|(g, w)| g != w).unwrap_or(n);
                    failing_means(Category::Order);
                    panic!(
                        "{setting}: result #{i} was {} where input order asks for {}. Every pipeline must hand \
                         out its own results, each exactly once, in input order, however many pipelines and \
                         workers run at the same time.",
                        got[i], want[i]
                    );
                }
                if stopped_after.is_none() {
                    assert!(
                        n == ITEMS as usize && calls == ITEMS as usize,
                        "{setting}: {n} results arrived and f was called {calls} times for {ITEMS} items: each \
                         item must go through f exactly once and reach the consumer."
                    );
                } else {
                    assert!(
                        calls <= ITEMS as usize,
                        "{setting}: f was called {calls} times for {ITEMS} items: each item at most once."
                    );
                }
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        failing_means(Category::LeakedThread);
        assert_no_thread_left(before, || {
            "rounds of pipelines ran at once, some read to the end and some dropped part-way"
        });
    }
}
