//! What the pipeline delivers: every result, once, in input order, and then
//! the end of the stream.

use crate::support::{assert_no_thread_left, read_everything, start};
use crossbeam_channel::RecvTimeoutError;
use testkit::prelude::*;

/// The first position where `got` and `want` differ, described for a learner.
fn first_difference<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T]) -> Option<String> {
    if let Some(i) = got.iter().zip(want).position(|(g, w)| g != w) {
        let from = i.saturating_sub(2);
        return Some(format!(
            "result #{i} is {:?} where the input order asks for {:?} (results #{from}..: {:?}, expected {:?})",
            got[i],
            want[i],
            &got[from..got.len().min(i + 4)],
            &want[from..want.len().min(i + 4)]
        ));
    }
    (got.len() != want.len()).then(|| format!("{} results arrived for {} input items", got.len(), want.len()))
}

hidden_tests! {
    fn results_come_out_in_input_order() {
        failing_means(Category::Order);
        let words: Vec<String> = ["pipe", "a", "stream", "of", "words", "through", "three", "workers"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        let want: Vec<usize> = words.iter().map(|w| w.len()).collect();
        let rx = start(words, |w: String| w.len(), 3, 2);
        let got = read_everything(&rx, want.len());
        if let Some(diff) = first_difference(&got, &want) {
            panic!(
                "pipeline(words, |w| w.len(), workers = 3, capacity = 2) gave {got:?}, not {want:?}: {diff}. \
                 The receiver must yield f(item) for every item, in the order the items came."
            );
        }
    }

    fn later_items_that_finish_first_still_wait_their_turn() {
        // Every third item (0, 3, 6, ...) is held inside f until the item
        // after it has been computed, and a moment more; so with several
        // workers, results come out of f in the wrong order, every time.
        // (If a correct pipeline cannot start the next item while one is
        // held, the hold gives up after a while and the test goes on.)
        failing_means(Category::Order);
        const ITEMS: u64 = 24;
        struct Holds {
            done: Mutex<Vec<bool>>,
            changed: std::sync::Condvar,
            gave_up: AtomicBool,
        }
        let holds = Arc::new(Holds {
            done: Mutex::new(vec![false; ITEMS as usize + 1]),
            changed: std::sync::Condvar::new(),
            gave_up: AtomicBool::new(false),
        });
        let h = holds.clone();
        let f = move |i: u64| {
            if i.is_multiple_of(3) && !h.gave_up.load(Ordering::SeqCst) {
                let deadline = Instant::now() + Duration::from_secs(2);
                let mut done = h.done.lock().unwrap_or_else(|e| e.into_inner());
                while !done[i as usize + 1] {
                    let now = Instant::now();
                    if now >= deadline {
                        h.gave_up.store(true, Ordering::SeqCst);
                        break;
                    }
                    done = h.changed.wait_timeout(done, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
                }
                drop(done);
                // Give the later result a head start on its way out.
                thread::sleep(Duration::from_millis(3));
            }
            let mut done = h.done.lock().unwrap_or_else(|e| e.into_inner());
            done[i as usize] = true;
            h.changed.notify_all();
            i * 10
        };
        let rx = start(0..ITEMS, f, 3, 2);
        let got = read_everything(&rx, ITEMS as usize);
        let want: Vec<u64> = (0..ITEMS).map(|i| i * 10).collect();
        if let Some(diff) = first_difference(&got, &want) {
            panic!(
                "with 3 workers, f held each item 0, 3, 6, ... until the item after it had been computed, so \
                 item 1 finished before item 0, item 4 before item 3, and so on. In what the receiver gave, {diff}. \
                 Results must come out in input order whatever order the workers finish in: number the items \
                 and let a collector hand them out by number (holding early ones in a small buffer), or give \
                 each worker its own channels and read them round-robin, or send each result through a \
                 per-item channel that the collector reads in input order."
            );
        }
    }

    fn uneven_work_keeps_input_order() {
        // f takes 0 to 4 ms by a pattern, so four workers finish in a jumble.
        failing_means(Category::Order);
        const ITEMS: u64 = 40;
        let rx = start(
            0..ITEMS,
            |i: u64| {
                thread::sleep(Duration::from_millis((i * 7) % 5));
                format!("item {i}")
            },
            4,
            3,
        );
        let got = read_everything(&rx, ITEMS as usize);
        let want: Vec<String> = (0..ITEMS).map(|i| format!("item {i}")).collect();
        if let Some(diff) = first_difference(&got, &want) {
            panic!(
                "with 4 workers and an f that takes longer for some items than for others, in what the receiver gave, \
                 {diff}. The consumer must see the results in input order, not in the order the workers \
                 finished them."
            );
        }
    }

    fn every_item_goes_through_f_exactly_once() {
        failing_means(Category::WrongResult);
        const ITEMS: u32 = 200;
        let calls = Arc::new(Mutex::new(Vec::new()));
        let c = calls.clone();
        let rx = start(
            0..ITEMS,
            move |i: u32| {
                c.lock().unwrap_or_else(|e| e.into_inner()).push(i);
                2 * i + 1
            },
            4,
            3,
        );
        let got = read_everything(&rx, ITEMS as usize);
        let mut seen = calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
        seen.sort_unstable();
        let twice: Vec<u32> = seen.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).take(5).collect();
        let never: Vec<u32> = (0..ITEMS).filter(|i| seen.binary_search(i).is_err()).take(5).collect();
        assert!(
            twice.is_empty() && never.is_empty() && seen.len() == ITEMS as usize,
            "{ITEMS} items went in and f was called {} times: called more than once with {twice:?}, never with \
             {never:?} (first five of each). Each item must go to exactly one worker, exactly once: the \
             workers share one queue (a crossbeam Receiver can be cloned; each message goes to one of them), \
             or each has its own.",
            seen.len()
        );
        let want: Vec<u32> = (0..ITEMS).map(|i| 2 * i + 1).collect();
        failing_means(Category::Order);
        if let Some(diff) = first_difference(&got, &want) {
            panic!("f was called once per item, but in what the receiver gave, {diff}: every result must reach the consumer, in input order.");
        }
    }

    fn receiver_disconnects_after_the_last_result() {
        failing_means(Category::LeakedThread);
        let before = thread_count();
        let rx = start(0..10u8, |b: u8| b as char, 3, 2);
        let got = read_everything(&rx, 10);
        let want: Vec<char> = (0..10u8).map(|b| b as char).collect();
        failing_means(Category::WrongResult);
        assert_eq!(got, want, "the receiver gave {got:?} for the input 0..10 and f = |b| b as char");
        failing_means(Category::LeakedThread);
        drop(rx);
        assert_no_thread_left(before, || "the input of 10 items ended, all 10 results were read and the receiver dropped");
    }

    fn empty_input_disconnects_without_results() {
        let rx = start(Vec::<u32>::new(), |x: u32| x, 2, 1);
        match rx.recv_timeout(GENEROUS) {
            Err(RecvTimeoutError::Disconnected) => {}
            Ok(x) => {
                failing_means(Category::WrongResult);
                panic!("an empty input gave a result ({x}): nothing goes in, nothing comes out")
            }
            Err(RecvTimeoutError::Timeout) => {
                failing_means(Category::LeakedThread);
                panic!(
                    "for an empty input, recv() still blocked after {} s instead of reporting the end. When the input \
                     ends, the producer drops its Sender, the workers see their channel disconnect and drop theirs, \
                     and so on until the consumer's receiver disconnects; a Sender kept alive anywhere stops that.",
                    GENEROUS.as_secs()
                )
            }
        }
    }

    fn each_result_is_handed_out_before_the_next_item_exists() {
        // A live stream: input item k+1 only exists once the consumer has
        // received result k (think of a reply to each answer). The pipeline
        // must wait for input that is slow to come, and must not hold a
        // result back until more input arrives.
        failing_means(Category::WrongResult);
        const ITEMS: usize = 10;
        struct Stream {
            received: Mutex<usize>,
            changed: std::sync::Condvar,
            starved: AtomicBool,
        }
        let stream = Arc::new(Stream { received: Mutex::new(0), changed: std::sync::Condvar::new(), starved: AtomicBool::new(false) });
        let s = stream.clone();
        let input = (0..ITEMS).map_while(move |k| {
            let deadline = Instant::now() + Duration::from_secs(3);
            let mut received = s.received.lock().unwrap_or_else(|e| e.into_inner());
            while *received < k {
                let now = Instant::now();
                if now >= deadline {
                    s.starved.store(true, Ordering::SeqCst);
                    return None;
                }
                received = s.changed.wait_timeout(received, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
            }
            Some(k)
        });
        let rx = start(input, |k: usize| k * k, 3, 2);
        let held_back = |k: usize| {
            format!(
                "the pipeline waited for input item {} before handing out result {k}, and the input gave up \
                 waiting for the consumer. Each result must go to the consumer as soon as it and the results \
                 before it are ready, without waiting for later items: no batches, and no collecting the \
                 input before starting",
                k + 1
            )
        };
        for k in 0..ITEMS {
            match rx.recv_timeout(GENEROUS) {
                Ok(r) => assert_eq!(r, k * k, "result #{k} was {r}, not f({k}) = {}", k * k),
                Err(RecvTimeoutError::Disconnected) if stream.starved.load(Ordering::SeqCst) => {
                    panic!("the receiver disconnected after {k} of {ITEMS} results: {}.", held_back(k.saturating_sub(1)))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    failing_means(Category::CheckThenAct);
                    panic!(
                        "the receiver disconnected after {k} of {ITEMS} results, while the input still had items to \
                         give (each one comes only after the previous result has been read). A worker must wait for \
                         the next item with a blocking recv, which fails only once the producer has dropped its \
                         Sender; a worker that leaves as soon as the queue is momentarily empty (try_recv) makes the \
                         pipeline end early and drop the rest of the input."
                    )
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "result #{k} did not arrive within {} s of reading result #{}: {}.",
                    GENEROUS.as_secs(),
                    k.saturating_sub(1),
                    if stream.starved.load(Ordering::SeqCst) { held_back(k) } else { "the pipeline is stuck".to_string() }
                ),
            }
            *stream.received.lock().unwrap_or_else(|e| e.into_inner()) = k + 1;
            stream.changed.notify_all();
        }
        let rest = read_everything(&rx, 0);
        assert!(rest.is_empty(), "after the last of {ITEMS} results the receiver gave {} more", rest.len());
    }

    fn zero_workers_panics() {
        failing_means(Category::WrongResult);
        // One worker is the least that works: that call must not panic.
        let one = start(0..3u32, |x: u32| x + 1, 1, 2);
        assert_eq!(read_everything(&one, 3), [1, 2, 3], "pipeline(0..3, |x| x + 1, workers = 1, capacity = 2) gave the wrong results");
        let message = panic_message(|| {
            let _ = start(0..3u32, |x: u32| x, 0, 2);
        });
        assert!(
            message.is_some(),
            "pipeline(input, f, workers = 0, capacity = 2) returned a receiver. With no worker nothing would \
             ever be computed and a consumer would wait forever; the contract says to panic (assert!) at \
             once, on the caller's thread."
        );
    }

    fn zero_capacity_panics() {
        failing_means(Category::WrongResult);
        // A capacity of 1 is the least that works: that call must not panic.
        let one = start(0..3u32, |x: u32| x + 1, 2, 1);
        assert_eq!(read_everything(&one, 3), [1, 2, 3], "pipeline(0..3, |x| x + 1, workers = 2, capacity = 1) gave the wrong results");
        let message = panic_message(|| {
            let _ = start(0..3u32, |x: u32| x, 2, 0);
        });
        assert!(
            message.is_some(),
            "pipeline(input, f, workers = 2, capacity = 0) returned a receiver. The contract says a capacity \
             of 0 is a mistake to report with a panic (assert!) at once, on the caller's thread."
        );
    }
}
