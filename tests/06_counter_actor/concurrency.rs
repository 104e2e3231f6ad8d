//! The owner thread's life: it sleeps while nobody writes to it, and once
//! the handles are gone it ends and leaves no thread behind.

use crate::support::{
    WHY_THE_OWNER_DID_NOT_END, WHY_VALUE_MISSED, WRONG_FINAL_COUNT, calls, owner_returns, payload_message,
    spawn_watched,
};
use counter_actor::spawn_counter;
use testkit::prelude::*;

/// How long the idle owner's CPU time is measured...
const WINDOW: Duration = Duration::from_millis(400);
/// ...and then how long its scheduler state is watched.
const STATE_WINDOW: Duration = Duration::from_millis(300);

hidden_tests! {
    fn leaves_no_thread_behind_once_every_handle_is_dropped() {
        failing_means(Category::WrongResult);
        const THREADS: usize = 4;
        let before = thread_count();
        let (handle, owner) = calls("spawn_counter()", spawn_counter);
        let seen = calls("4 threads making increments and calling value() through clones", move || {
            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    let mine = handle.clone();
                    thread::spawn(move || {
                        for _ in 0..10 {
                            mine.increment();
                        }
                        mine.value()
                    })
                })
                .collect();
            drop(handle);
            workers.into_iter().map(|w| w.join().map_err(|p| payload_message(p.as_ref()))).collect::<Vec<_>>()
        });
        for result in seen {
            match result {
                Ok(v) => {
                    if v < 10 {
                        failing_means(Category::Order);
                    }
                    assert!(
                        v >= 10,
                        "{THREADS} threads each made 10 increments through their own clone and then called value() \
                         on it; one of them read {v}. {WHY_VALUE_MISSED}"
                    )
                }
                Err(message) => panic!(
                    "{THREADS} threads each made 10 increments through their own clone and then called value() on \
                     it; one of them panicked: \"{message}\". A handle must work for as long as it exists."
                ),
            }
        }
        owner_returns(owner, 10 * THREADS, "4 threads made 10 increments each, through clones", WRONG_FINAL_COUNT);
        failing_means(Category::LeakedThread);
        if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
            panic!(
                "{} thread(s) more than before spawn_counter() were still alive {} s after the owner thread \
                 was joined. spawn_counter() starts one thread, the owner, and it must be the only one; once \
                 every handle is dropped and the owner has ended, nothing of the counter may keep running. \
                 {WHY_THE_OWNER_DID_NOT_END}",
                alive - before,
                GENEROUS.as_secs()
            );
        }
    }

    fn an_idle_owner_sleeps_instead_of_spinning() {
        failing_means(Category::WrongResult);
        // While handles exist but nobody calls them, the owner has nothing
        // to do but wait for the next message. A thread blocked in `recv`
        // costs no CPU however long it waits; one that polls (`try_recv` in
        // a loop, with or without yield_now) costs as much as the machine
        // lets it have. Two views of the idle time:
        // * CPU: during the window the test runs a spinning thread of its
        //   own as a yardstick and compares the rest of the process with it
        //   (see testkit::threads::measure_waiting_cpu);
        // * scheduler state: the threads spawn_counter() started are looked
        //   at every few milliseconds. A blocked thread is asleep ('S'); a
        //   polling one is always running or ready to run ('R'), however
        //   little CPU a crowded machine gives it.
        let (handle, owner, owner_threads) = spawn_watched();
        let (seen, handle) = calls("3 increments and value()", move || {
            (0..3).for_each(|_| handle.increment());
            (handle.value(), handle)
        });
        if seen < 3 {
            failing_means(Category::Order);
        }
        assert_eq!(
            seen, 3,
            "one handle made 3 increments and value() returned {seen}, not 3. {}",
            if seen < 3 { WHY_VALUE_MISSED } else { "" }
        );
        let measured = measure_waiting_cpu(WINDOW);
        let (mut looks, mut runnable) = (0usize, 0usize);
        let watch = Instant::now();
        while watch.elapsed() < STATE_WINDOW {
            for &tid in &owner_threads {
                if let Some(state) = thread_state(tid) {
                    looks += 1;
                    runnable += usize::from(state == 'R');
                }
            }
            thread::sleep(Duration::from_millis(5));
        }
        drop(handle);
        failing_means(Category::WrongResult);
        owner_returns(owner, 3, "one handle made 3 increments", WRONG_FINAL_COUNT);
        failing_means(Category::BusyWait);
        let advice = "The owner thread should block in `recv` (or iterate the Receiver with `for`), which sleeps \
                      until a message arrives or every sender is gone; polling with `try_recv` in a loop, even \
                      with yield_now, burns a core for as long as the counter lives.";
        assert!(
            !measured.looks_like_spinning(),
            "while a handle existed but nobody called it, the counter {}. {advice}",
            measured.describe()
        );
        let share = runnable as f64 / looks.max(1) as f64;
        assert!(
            share < 0.5,
            "while a handle existed but nobody called it, the thread(s) spawn_counter() started were running or \
             ready to run in {runnable} of {looks} looks over {} ms, instead of asleep. {advice}",
            STATE_WINDOW.as_millis()
        );
    }
}
