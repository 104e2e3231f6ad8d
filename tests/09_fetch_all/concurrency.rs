//! The bound, and the lesson: at most `max_in_flight` fetches at once, that
//! many really at once, a free slot reused at once, a blocking wait, and no
//! thread left behind.

use crate::support::{GatedFetch, OpenOnDrop, index_of, order_mismatch, run_fetch_all, start_gated, urls};
use testkit::prelude::*;

/// How long each fetch of the bound test waits for one fetch too many.
const HOLD: Duration = Duration::from_millis(300);

/// Looks at the scheduler state of every thread of this process but the
/// calling one, every 10 ms for `window`: (threads looked at, of which
/// running or ready to run).
fn sample_other_threads(window: Duration) -> (usize, usize) {
    let me = current_tid();
    let (mut looks, mut runnable) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < window {
        let tids: Vec<i32> = std::fs::read_dir("/proc/self/task")
            .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
            .unwrap_or_default();
        for tid in tids.into_iter().filter(|&t| t != me) {
            if let Some(state) = thread_state(tid) {
                looks += 1;
                runnable += usize::from(state == 'R');
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
    (looks, runnable)
}

hidden_tests! {
    fn never_runs_more_than_max_in_flight_calls_at_once() {
        // Each fetch waits (up to HOLD) for one more fetch than allowed to
        // be running with it. A correct fetch_all never gets there, so the
        // first fetches wait HOLD once and the rest run through; one that
        // lets too many run gets them together, and the gauge records it.
        for (max, n) in [(1, 6), (3, 24)] {
            let too_many = Arc::new(Rendezvous::new(max + 1, HOLD));
            let gauge = Arc::new(Gauge::new());
            let (r, g) = (too_many.clone(), gauge.clone());
            let results = run_fetch_all(Duration::from_secs(8), urls(n), max, move |url: &str| {
                let _inside = g.enter();
                r.arrive();
                Ok::<usize, ()>(index_of(url).unwrap_or(usize::MAX))
            })
            .expect_returned(
                &format!("fetch_all with {n} urls and max_in_flight {max}"),
                "its fetches take at most 0.3 s each.",
            );
            let most = gauge.max();
            failing_means(Category::TooConcurrent);
            assert!(
                most <= max,
                "fetch_all with {n} urls and max_in_flight {max} had {most} fetches running at the same \
                 time. At most max_in_flight may be in flight at once: that is the whole point of the \
                 bound (a server, or your own machine, would otherwise be hit by every request at once). \
                 Start at most max_in_flight workers that each fetch one url after another, instead of a \
                 thread per url; if you do start a thread per url, make each wait for a free slot first."
            );
            let expected: Vec<Result<usize, ()>> = (0..n).map(Ok).collect();
            if let Some(problem) = order_mismatch(&expected, &results) {
                panic!("fetch_all with {n} urls and max_in_flight {max} returned the wrong results: {problem}");
            }
        }
    }

    fn max_in_flight_calls_really_run_at_the_same_time() {
        // 12 urls, 4 slots: the first 4 fetches must all be running at once
        // (each waits for the other 3). One at a time, or fewer workers than
        // slots, never gets 4 together.
        const URLS: usize = 12;
        const MAX: usize = 4;
        let meeting = Arc::new(Rendezvous::new(MAX, GENEROUS));
        let met = Arc::new(AtomicUsize::new(0));
        let (m, n) = (meeting.clone(), met.clone());
        let results = run_fetch_all(Duration::from_secs(8), urls(URLS), MAX, move |url: &str| {
            if m.arrive() {
                n.fetch_add(1, Ordering::SeqCst);
            }
            Ok::<usize, ()>(index_of(url).unwrap_or(usize::MAX))
        })
        .expect_returned(
            "fetch_all with 12 urls and max_in_flight 4",
            "its first 4 fetches wait up to 5 s for each other, and may all run at once.",
        );
        failing_means(Category::NotConcurrent);
        assert!(
            met.load(Ordering::SeqCst) == URLS,
            "with {URLS} urls and max_in_flight {MAX}, the first {MAX} fetches each waited for the others \
             to be running at the same time, but at most {} ever were. fetch_all must keep max_in_flight \
             fetches in flight while urls are left: start max_in_flight workers (not one, not one fewer), \
             and do not wait for one fetch before starting the next.",
            meeting.max_arrived()
        );
        let expected: Vec<Result<usize, ()>> = (0..URLS).map(Ok).collect();
        if let Some(problem) = order_mismatch(&expected, &results) {
            panic!("fetch_all returned the wrong results: {problem}");
        }
    }

    fn the_next_fetch_starts_as_soon_as_one_finishes() {
        // 3 slots, 9 urls, every fetch blocked until the test lets it go.
        // Once 3 are running, the test lets exactly one finish: a fourth must
        // start while the other two are still blocked.
        const URLS: usize = 9;
        const MAX: usize = 3;
        let gated = GatedFetch::new(URLS, Instant::now() + Duration::from_secs(20));
        let _open_at_end = OpenOnDrop(gated.clone());
        let rx = start_gated(&gated, URLS, MAX);
        let three_started = eventually(GENEROUS, || gated.started().len() >= MAX);
        let first_three = gated.started();
        let mut released = None;
        let mut fourth_started = false;
        if three_started && first_three.len() == MAX {
            let first = first_three[0];
            released = Some(first);
            gated.open(first);
            if eventually(GENEROUS, || gated.finished(first)) {
                fourth_started = eventually(GENEROUS, || gated.started().len() > MAX);
            }
        }
        let results = gated.finish(&rx, "fetch_all with 9 urls and max_in_flight 3");
        failing_means(Category::NotConcurrent);
        assert!(
            three_started,
            "fetch_all with {URLS} urls and max_in_flight {MAX} started only {} fetch(es) within 5 s, while \
             every fetch was still running: it must fill all {MAX} slots at once.",
            first_three.len()
        );
        failing_means(Category::TooConcurrent);
        assert!(
            first_three.len() == MAX,
            "fetch_all with max_in_flight {MAX} started {} fetches while none had finished: at most \
             {MAX} may be in flight at once.",
            first_three.len()
        );
        let first = released.unwrap();
        failing_means(Category::NotConcurrent);
        assert!(
            fourth_started,
            "with max_in_flight {MAX}, fetches of urls {first_three:?} were running; the test let url \
             {first} finish, and within 5 s no other fetch started, although {} urls were still waiting \
             and only 2 fetches were running. A free slot must be reused at once: cutting urls into \
             batches of max_in_flight and waiting for the whole batch leaves slots idle while the \
             slowest fetch of the batch runs. Let each worker take the next url as soon as it is done \
             (a shared AtomicUsize index, or a channel of jobs).",
            URLS - MAX
        );
        let most = gated.max_in_flight();
        failing_means(Category::TooConcurrent);
        assert!(most <= MAX, "{most} fetches ran at the same time with max_in_flight {MAX}");
        if let Some(problem) = order_mismatch(&GatedFetch::expected(URLS), &results) {
            panic!("fetch_all returned the wrong results: {problem}");
        }
    }

    fn one_slow_fetch_does_not_hold_up_the_others() {
        // 3 slots, 9 urls. The first fetch to start is held until the end;
        // every other fetch is let go as soon as it starts. The other 8 must
        // all get done through the 2 free slots meanwhile. A batch waits for
        // its slow member; a fixed share of urls per worker strands the urls
        // that belong to the slow fetch's worker.
        const URLS: usize = 9;
        const MAX: usize = 3;
        let gated = GatedFetch::new(URLS, Instant::now() + Duration::from_secs(20));
        let _open_at_end = OpenOnDrop(gated.clone());
        let rx = start_gated(&gated, URLS, MAX);
        let started = eventually(GENEROUS, || !gated.started().is_empty());
        let slow = gated.started().first().copied();
        let mut others_done = false;
        let mut slow_still_running = false;
        if let Some(slow) = slow {
            others_done = eventually(GENEROUS, || {
                for i in gated.started() {
                    if i != slow {
                        gated.open(i);
                    }
                }
                (0..URLS).filter(|&i| i != slow).all(|i| gated.finished(i))
            });
            slow_still_running = !gated.finished(slow);
        }
        let stuck: Vec<usize> = (0..URLS).filter(|&i| Some(i) != slow && !gated.finished(i)).collect();
        let never_started: Vec<usize> = stuck.iter().copied().filter(|i| !gated.started().contains(i)).collect();
        let results = gated.finish(&rx, "fetch_all with 9 urls and max_in_flight 3");
        failing_means(Category::NotConcurrent);
        assert!(started, "fetch_all with {URLS} urls started no fetch within 5 s");
        let slow = slow.unwrap();
        failing_means(Category::WrongResult);
        assert!(slow_still_running, "url {slow}'s fetch finished although the test had not let it go");
        failing_means(Category::NotConcurrent);
        assert!(
            others_done,
            "with max_in_flight {MAX}, the test held url {slow}'s fetch and let every other fetch finish \
             the moment it started; after 5 s, urls {stuck:?} were still not done (urls {never_started:?} \
             never even started), though 2 slots were free. One slow fetch may take one slot, never the \
             others: do not wait for a whole batch, and do not give each worker a fixed share of the \
             urls in advance. Let every worker take the next untaken url whenever it finishes one."
        );
        let most = gated.max_in_flight();
        failing_means(Category::TooConcurrent);
        assert!(most <= MAX, "{most} fetches ran at the same time with max_in_flight {MAX}");
        if let Some(problem) = order_mismatch(&GatedFetch::expected(URLS), &results) {
            panic!("fetch_all returned the wrong results: {problem}");
        }
    }

    fn waits_for_a_free_slot_without_spinning() {
        // 2 slots, 8 urls, both running fetches blocked: 6 urls wait for a
        // slot and fetch_all waits for its fetches. None of that waiting may
        // keep a thread busy. Two views of the waiting:
        //
        // * scheduler states: every thread of the process but the test's own
        //   is looked at every 10 ms. A thread that blocks (join, a Condvar,
        //   a channel) is asleep ('S'); one that loops, even with yield_now,
        //   is always running or ready to run ('R'), however little CPU a
        //   crowded machine gives it. (A yield_now loop can hand its core to
        //   a spinner next to it and use almost no CPU itself, so CPU time
        //   alone does not catch it.)
        // * CPU time, compared with what a spinning thread of the test's own
        //   got over the same window (testkit's yardstick).
        const URLS: usize = 8;
        const MAX: usize = 2;
        const STATE_WINDOW: Duration = Duration::from_millis(300);
        const CPU_WINDOW: Duration = Duration::from_millis(400);
        let gated = GatedFetch::new(URLS, Instant::now() + Duration::from_secs(20));
        let _open_at_end = OpenOnDrop(gated.clone());
        let rx = start_gated(&gated, URLS, MAX);
        let two_started = eventually(GENEROUS, || gated.started().len() >= MAX);
        let states = two_started.then(|| sample_other_threads(STATE_WINDOW));
        let measured = two_started.then(|| measure_waiting_cpu(CPU_WINDOW));
        let results = gated.finish(&rx, "fetch_all with 8 urls and max_in_flight 2");
        failing_means(Category::NotConcurrent);
        assert!(two_started, "fetch_all with {URLS} urls and max_in_flight {MAX} did not start {MAX} fetches within 5 s");
        let advice = "Waiting for a free slot, or for the workers to finish, must block: let a fixed set of \
                      workers each fetch one url after another, or block on a Condvar or a channel; do not \
                      loop on an atomic count of fetches in flight (even with yield_now or spin_loop).";
        let (looks, runnable) = states.unwrap();
        let busy_share = runnable as f64 / looks.max(1) as f64;
        failing_means(Category::BusyWait);
        assert!(
            busy_share < 0.25,
            "while both of its {MAX} slots were taken by blocked fetches and {} urls waited for a slot, \
             fetch_all's threads were running or ready to run in {:.0}% of {looks} looks over {:.0} ms, \
             instead of asleep. {advice}",
            URLS - MAX,
            busy_share * 100.0,
            STATE_WINDOW.as_secs_f64() * 1000.0,
        );
        let measured = measured.unwrap();
        assert!(
            !measured.looks_like_spinning(),
            "while both of its {MAX} slots were taken by blocked fetches and {} urls waited for a slot, \
             fetch_all {}. {advice}",
            URLS - MAX,
            measured.describe()
        );
        if let Some(problem) = order_mismatch(&GatedFetch::expected(URLS), &results) {
            panic!("fetch_all returned the wrong results: {problem}");
        }
    }

    fn leaves_no_thread_behind() {
        const URLS: usize = 20;
        const MAX: usize = 4;
        let before = thread_count();
        let results = run_fetch_all(GENEROUS, urls(URLS), MAX, |url: &str| Ok::<usize, ()>(index_of(url).unwrap_or(0)))
            .expect_returned("fetch_all with 20 urls and max_in_flight 4", "its fetches return at once.");
        failing_means(Category::WrongResult);
        assert_eq!(results.len(), URLS, "fetch_all returned {} results for {URLS} urls", results.len());
        failing_means(Category::LeakedThread);
        if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
            panic!(
                "{} thread(s) more than before the call were still alive 5 s after fetch_all returned. \
                 Every thread fetch_all starts must have ended once it returns: join them (or let \
                 std::thread::scope join them). A pool that outlives the call, rayon's global pool \
                 included, leaves its threads behind.",
                alive - before
            );
        }
    }
}
