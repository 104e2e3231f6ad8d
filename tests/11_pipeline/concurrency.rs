//! The concurrency the contract promises: workers that really run at the
//! same time, a producer held back by a consumer that does not read, every
//! thread gone once the receiver is dropped, and idle stages that sleep.

use crate::support::{
    Counted, Gate, assert_no_thread_left, endless, read_everything, runnable_looks, start, thread_ids,
};
use crossbeam_channel::RecvTimeoutError;
use testkit::prelude::*;

/// The most items a bounded pipeline may have pulled from its input beyond
/// what the consumer has read. Generous on purpose, so that every sensible
/// design fits: up to two channels per worker (a lane in and a lane out)
/// plus one in and one out, each holding `capacity`; one item in the hands
/// of each worker; a reorder buffer of about one item per worker; and one
/// item held by each thread between stages.
fn backpressure_bound(workers: usize, capacity: usize) -> usize {
    (2 * workers + 2) * capacity + 2 * workers + 4
}

const BOUND_FORMULA: &str = "(2 * workers + 2) * capacity + 2 * workers + 4";

/// Fails if, within `window`, the input is seen pulled more than `bound`
/// items beyond the `read` results the consumer has taken.
fn assert_held_back(
    pulled: &AtomicUsize,
    read: usize,
    workers: usize,
    capacity: usize,
    window: Duration,
    input_len: usize,
) {
    let bound = backpressure_bound(workers, capacity);
    if eventually(window, || pulled.load(Ordering::SeqCst) > read + bound) {
        // Let it run on a little, to show how far it goes.
        thread::sleep(Duration::from_millis(50));
        panic!(
            "the consumer had read {read} results and then stopped reading, yet the pipeline (workers = {workers}, \
             capacity = {capacity}) went on to pull {} of the {input_len} input items. A bounded pipeline holds \
             at most a few items per channel and per thread; this test allows {bound} beyond what was read \
             ({BOUND_FORMULA}). That is backpressure: when the consumer is slow, the channel in front of it \
             fills, the stage feeding it blocks on send, its own input channel fills, and so on back to the \
             producer, which stops pulling. Use crossbeam_channel::bounded(capacity) for every channel (never \
             unbounded), pull the input one item at a time (never collect it into a Vec first), and keep any \
             reorder buffer small.",
            pulled.load(Ordering::SeqCst)
        );
    }
}

hidden_tests! {
    fn workers_apply_f_in_parallel() {
        failing_means(Category::NotConcurrent);
        const WORKERS: usize = 4;
        let meeting = Arc::new(Rendezvous::new(WORKERS, GENEROUS));
        let met = Arc::new(AtomicUsize::new(0));
        let (m, n) = (meeting.clone(), met.clone());
        let rx = start(
            0..2 * WORKERS as u32,
            move |i: u32| {
                if m.arrive() {
                    n.fetch_add(1, Ordering::SeqCst);
                }
                i
            },
            WORKERS,
            // As many as the workers: a pipeline that keeps only `capacity`
            // items in flight can still keep every worker busy.
            WORKERS,
        );
        let got = read_everything(&rx, 2 * WORKERS);
        failing_means(Category::WrongResult);
        assert_eq!(got, (0..2 * WORKERS as u32).collect::<Vec<_>>(), "the results of 0..{} came out wrong", 2 * WORKERS);
        failing_means(Category::NotConcurrent);
        assert!(
            !meeting.is_broken(),
            "each call of f waited (up to {} s) until {WORKERS} calls were running at the same time, but at most \
             {} ever were, with workers = {WORKERS}. The pipeline must start `workers` threads that each take \
             items and apply f, so that that many items are worked on at once: one worker thread, or workers \
             that take turns holding one lock around f, run the calls one after another.",
            GENEROUS.as_secs(),
            meeting.max_arrived()
        );
    }

    fn a_consumer_that_reads_nothing_holds_the_producer_back() {
        // One worker, so that items finish in input order. With several, a
        // correct pipeline that reorders through a buffer (a BTreeMap in a
        // collector) may legitimately let that buffer grow while one worker
        // is held up, and on a busy machine the OS can hold a thread up for
        // long enough to let the others get hundreds of items ahead: no
        // fixed bound would be fair. With one worker every sensible design
        // holds only a few items per channel and per thread.
        const INPUT: usize = 100_000;
        for (workers, capacity) in [(1, 1), (1, 3)] {
            failing_means(Category::TooConcurrent);
            let pulled = Arc::new(AtomicUsize::new(0));
            let rx = start(Counted::new(0..INPUT as u64, &pulled), |x: u64| x + 1, workers, capacity);
            assert_held_back(&pulled, 0, workers, capacity, Duration::from_millis(400), INPUT);
            // Now read slowly: the producer may only keep its distance.
            for read in 1..=12usize {
                failing_means(Category::WrongResult);
                match rx.recv_timeout(GENEROUS) {
                    Ok(r) => assert_eq!(r, read as u64, "result #{} was {r}, not {read}", read - 1),
                    Err(e) => panic!(
                        "with the input {INPUT} items long, recv() gave {e:?} for result #{} (workers = {workers}, \
                         capacity = {capacity}): a pipeline that was just waiting for its consumer must carry on \
                         when the consumer reads",
                        read - 1
                    ),
                }
                failing_means(Category::TooConcurrent);
                assert_held_back(&pulled, read, workers, capacity, Duration::from_millis(10), INPUT);
            }
            // A last look, after a pause, in case the producer got going late.
            assert_held_back(&pulled, 12, workers, capacity, Duration::from_millis(100), INPUT);
            drop(rx);
        }
    }

    fn dropping_the_receiver_after_a_few_results_stops_every_thread() {
        failing_means(Category::WrongResult);
        let before = thread_count();
        let pulled = Arc::new(AtomicUsize::new(0));
        let rx = start(endless(&pulled), |x: u64| x * 2, 3, 2);
        for i in 0..5u64 {
            match rx.recv_timeout(GENEROUS) {
                Ok(r) => assert_eq!(r, i * 2, "result #{i} of an endless input 0, 1, 2, ... with f = |x| x * 2 was {r}"),
                Err(e) => panic!("recv() gave {e:?} for result #{i} of an endless input: the stream should go on"),
            }
        }
        let pulled_at_drop = pulled.load(Ordering::SeqCst);
        failing_means(Category::IgnoredCancellation);
        drop(rx);
        assert_no_thread_left(before, || {
            format!(
                "the input was endless (0, 1, 2, ...); the consumer read 5 results and dropped the receiver, when \
                 {pulled_at_drop} items had been pulled from the input ({} by the end of the wait)",
                pulled.load(Ordering::SeqCst)
            )
        });
    }

    fn dropping_the_receiver_before_reading_stops_every_thread() {
        failing_means(Category::IgnoredCancellation);
        let before = thread_count();
        let pulled = Arc::new(AtomicUsize::new(0));
        let rx = start(endless(&pulled), |x: u64| x, 2, 3);
        drop(rx);
        assert_no_thread_left(before, || {
            format!(
                "the input was endless (0, 1, 2, ...) and the consumer dropped the receiver at once, before \
                 reading anything ({} items had been pulled from the input by the end of the wait)",
                pulled.load(Ordering::SeqCst)
            )
        });
    }

    fn dropping_the_receiver_while_f_runs_stops_every_thread() {
        failing_means(Category::WrongResult);
        const WORKERS: usize = 2;
        let before = thread_count();
        let gate = Arc::new(Gate::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let give_up_at = Instant::now() + Duration::from_secs(8);
        let (g, i, c) = (gate.clone(), inside.clone(), calls.clone());
        let pulled = Arc::new(AtomicUsize::new(0));
        let rx = start(
            endless(&pulled),
            move |x: u64| {
                c.fetch_add(1, Ordering::SeqCst);
                i.fetch_add(1, Ordering::SeqCst);
                g.wait_until(give_up_at);
                i.fetch_sub(1, Ordering::SeqCst);
                x
            },
            WORKERS,
            2,
        );
        let busy = eventually(GENEROUS, || inside.load(Ordering::SeqCst) >= 1);
        assert!(busy, "no call of f had started {} s after pipeline() was called with an endless input", GENEROUS.as_secs());
        // Give the other worker a moment to be inside f too (not required).
        eventually(Duration::from_millis(200), || inside.load(Ordering::SeqCst) >= WORKERS);
        let calls_at_drop = calls.load(Ordering::SeqCst);
        failing_means(Category::IgnoredCancellation);
        drop(rx);
        gate.open();
        assert_no_thread_left(before, || {
            format!(
                "the input was endless; the consumer dropped the receiver while {} call(s) of f were still \
                 running, and then let them finish (f had been called {calls_at_drop} times at the drop, and \
                 {} times by the end of the wait)",
                calls_at_drop.min(WORKERS),
                calls.load(Ordering::SeqCst)
            )
        });
    }

    fn an_idle_pipeline_waits_without_spinning() {
        // The input gives 4 items and then keeps the producer waiting. Once
        // the consumer has read those 4 results, every stage has nothing to
        // do until more input comes. A stage that waits by blocking on a
        // channel costs no CPU and is asleep; one that polls (try_recv in a
        // loop) is always running or ready to run. Two views, one after the
        // other: the process's CPU time beside a spinning thread of the
        // test's own (the yardstick of what a busy loop gets on this machine
        // now), and the scheduler state of each of the pipeline's threads
        // (a loop that calls yield_now may get little CPU on a crowded
        // machine, but it never sleeps).
        failing_means(Category::WrongResult);
        const WINDOW: Duration = Duration::from_millis(300);
        let before = thread_count();
        let tids_before = thread_ids();
        let gate = Arc::new(Gate::new());
        let waiting = Arc::new(AtomicBool::new(false));
        let give_up_at = Instant::now() + Duration::from_secs(8);
        let (g, w) = (gate.clone(), waiting.clone());
        let input = (0..5u32).map_while(move |i| {
            if i == 4 {
                w.store(true, Ordering::SeqCst);
                g.wait_until(give_up_at);
                return None;
            }
            Some(i)
        });
        let rx = start(input, |x: u32| x + 100, 3, 2);
        for i in 0..4u32 {
            match rx.recv_timeout(GENEROUS) {
                Ok(r) => assert_eq!(r, i + 100, "result #{i} was {r}, not {}", i + 100),
                Err(e) => panic!("recv() gave {e:?} for result #{i} of 4 while the input was still open"),
            }
        }
        let idle = eventually(GENEROUS, || waiting.load(Ordering::SeqCst));
        assert!(idle, "the producer did not ask the input for its 5th item within {} s", GENEROUS.as_secs());
        // Let the stages that just handed out the last results settle.
        thread::sleep(Duration::from_millis(20));
        let measured = measure_waiting_cpu(WINDOW);
        let pipeline_tids: Vec<i32> = thread_ids().into_iter().filter(|t| !tids_before.contains(t)).collect();
        let looks = runnable_looks(&pipeline_tids, WINDOW);
        gate.open();
        failing_means(Category::LeakedThread);
        match rx.recv_timeout(GENEROUS) {
            Err(RecvTimeoutError::Disconnected) => {}
            other => panic!("after the input ended (4 items, all read) recv() gave {other:?} instead of reporting the end"),
        }
        drop(rx);
        let advice = "A stage with nothing to do must block (recv on a channel, or iterate the receiver) until \
                      an item comes or the channel disconnects; polling with try_recv in a loop, even with \
                      yield_now, keeps a core busy for as long as the input is slow.";
        failing_means(Category::BusyWait);
        assert!(
            !measured.looks_like_spinning(),
            "every result had been read and the input had nothing more yet, so every stage of the pipeline had \
             nothing to do; meanwhile the process {}. {advice}",
            measured.describe()
        );
        let polling: Vec<String> = looks
            .iter()
            .filter(|&&(_, runnable, total)| total >= 6 && runnable * 4 >= total * 3)
            .map(|&(_, runnable, total)| format!("{runnable} of {total}"))
            .collect();
        assert!(
            polling.is_empty(),
            "every result had been read and the input had nothing more yet, so every stage of the pipeline had \
             nothing to do; yet {} of its {} threads were running or ready to run instead of asleep ({} looks \
             over {} ms). {advice}",
            polling.len(),
            looks.len(),
            polling.join(", "),
            WINDOW.as_millis()
        );
        failing_means(Category::LeakedThread);
        assert_no_thread_left(before, || "the input ended, every result was read and the receiver dropped");
    }
}
