//! The race between a `wait` that is just starting and the `done` that brings
//! the counter to zero.
//!
//! A wait that checks the counter and then goes to sleep in two separate
//! steps (letting go of its lock in between) misses a `done` that lands in
//! between: it sleeps forever at zero. That gap is a few instructions wide;
//! two threads started together almost never hit it. So the test arranges
//! for the `done` thread to interrupt the waiter mid-`wait`:
//!
//! * both threads are pinned to one CPU, so that they cannot run side by
//!   side: when the `done` thread wakes up, the kernel usually hands it the
//!   CPU at once, interrupting the waiter wherever it is inside `wait`;
//! * a driver thread on another CPU starts the waiter, which spins for a
//!   varying short time before calling `wait`, and wakes the `done` thread;
//!   over many cheap rounds the interruption sweeps across the whole call.
//!
//! A correct `wait` is released in every round. A lost wake-up shows as a
//! waiter that is still asleep well after `done` has returned. If the
//! kernel refuses the pinning, the rounds still run; they just hit the gap
//! less often.
//!
//! (Giving the waiter the lowest priority, `SCHED_IDLE`, makes the
//! interruption surer on an idle machine, but on a busy one it starves the
//! waiter and the test runs only a few rounds; measured, ordinary priority
//! catches the gap more often overall.)

use crate::support::{allowed_cpus, current_tid, pin_current_thread, thread_state};
use std::sync::atomic::{AtomicI32, AtomicU32};
use testkit::prelude::*;
use wait_group::WaitGroup;

/// Most rounds to run; each costs well under a millisecond, so on a healthy
/// machine all of them take a second or two.
const MAX_ROUNDS: u32 = 3000;
/// Stop starting new rounds after this long. Only a busy machine gets here,
/// and that is when rounds are slow and the gap needs the most of them:
/// measured with 2.5 s under heavy load (a clean build beside verify and its
/// load generator), each narrow lost-wakeup mutant survived 1 run in 10.
const BUDGET: Duration = Duration::from_secs(12);
/// Stop waiting for the last round after this long, without a verdict.
const GIVE_UP: Duration = Duration::from_secs(16);
/// A waiter still asleep this long after the last `done` returned has missed
/// its wake-up (a correct waiter is runnable as soon as `done` returns).
const ASLEEP_LIMIT: Duration = Duration::from_millis(500);

#[derive(Default)]
struct Race {
    /// The round the driver has started.
    round: AtomicU32,
    /// Spin iterations the waiter does before calling `wait` this round.
    spin: AtomicU32,
    waiter_returned: AtomicU32,
    doner_returned: AtomicU32,
    waiter_tid: AtomicI32,
    stop: AtomicBool,
}

enum Verdict {
    AllReleased,
    /// The waiter of this round slept through the `done` that reached zero.
    Lost {
        round: u32,
    },
}

hidden_tests! {
    fn no_wakeup_is_lost_when_done_races_with_wait() {
        failing_means(Category::LostWakeup);
        let verdict = within(Duration::from_secs(20), drive)
            .expect("the race rounds did not finish within 20 s: a call to add, done or wait blocked for good");
        match verdict {
            Verdict::AllReleased => {}
            Verdict::Lost { round } => panic!(
                "round {round}: a thread called wait() just as another thread's done() took the counter \
                 from 1 to 0. done() returned, but {} ms later the waiter was still asleep inside wait(): \
                 its wake-up was lost. Checking the counter and going to sleep must be one step under \
                 the lock that done() takes (Condvar::wait/wait_while let go of the lock only once the \
                 thread is asleep); a wait that checks, lets go of the lock and then sleeps can miss \
                 the last done() and sleep forever",
                ASLEEP_LIMIT.as_millis()
            ),
        }
    }
}

fn drive() -> Verdict {
    let cpus = allowed_cpus();
    // The waiter and the done() thread share the first CPU; the driver stays
    // off it when it can.
    let race_cpu = cpus.first().copied();
    if let Some(&cpu) = cpus.get(1) {
        pin_current_thread(cpu);
    }
    let group = Arc::new(WaitGroup::new());
    let race = Arc::new(Race::default());
    let driver = thread::current();

    let waiter = {
        let (group, race, driver) = (group.clone(), race.clone(), driver.clone());
        thread::Builder::new()
            .name("racing-waiter".into())
            .spawn(move || {
                if let Some(cpu) = race_cpu {
                    pin_current_thread(cpu);
                }
                race.waiter_tid.store(current_tid(), Ordering::SeqCst);
                let mut seen = 0;
                loop {
                    // Spin, not sleep, while waiting for the round: the waiter
                    // must be on the CPU when the done() thread wakes up.
                    while race.round.load(Ordering::SeqCst) == seen {
                        if race.stop.load(Ordering::SeqCst) {
                            return;
                        }
                        std::hint::spin_loop();
                    }
                    seen = race.round.load(Ordering::SeqCst);
                    for _ in 0..race.spin.load(Ordering::SeqCst) {
                        std::hint::spin_loop();
                    }
                    group.wait();
                    race.waiter_returned.store(seen, Ordering::SeqCst);
                    driver.unpark();
                }
            })
            .expect("could not start the waiter thread")
    };
    let doner = {
        let (group, race, driver) = (group.clone(), race.clone(), driver.clone());
        thread::Builder::new()
            .name("racing-done".into())
            .spawn(move || {
                if let Some(cpu) = race_cpu {
                    pin_current_thread(cpu);
                }
                let mut seen = 0;
                loop {
                    while race.round.load(Ordering::SeqCst) == seen {
                        if race.stop.load(Ordering::SeqCst) {
                            return;
                        }
                        thread::park();
                    }
                    seen = race.round.load(Ordering::SeqCst);
                    group.done();
                    race.doner_returned.store(seen, Ordering::SeqCst);
                    driver.unpark();
                }
            })
            .expect("could not start the done() thread")
    };
    while race.waiter_tid.load(Ordering::SeqCst) == 0 {
        thread::yield_now();
    }
    let waiter_tid = race.waiter_tid.load(Ordering::SeqCst);

    let stop = |verdict: Verdict| {
        race.stop.store(true, Ordering::SeqCst);
        doner.thread().unpark();
        verdict
    };

    // A fixed-seed xorshift: the same spins every run.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let started = Instant::now();
    // Past this point nothing is concluded: a machine this busy gives the
    // racing threads too little CPU to tell "stuck" from "slow".
    let give_up = started + GIVE_UP;
    for round in 1..=MAX_ROUNDS {
        if started.elapsed() > BUDGET {
            break;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Spins from 16 to 2048, evenly spread on a log scale, so that the
        // interruption lands all over the call whatever the CPU's speed.
        // (Here the gap is hit most around 100 to 175 spins.)
        let spin = 16.0 * 128f64.powf((seed >> 11) as f64 / (1u64 << 53) as f64);
        race.spin.store(spin as u32, Ordering::SeqCst);
        group.add(1);
        race.round.store(round, Ordering::SeqCst);
        doner.thread().unpark();

        // A done() that never returns is left to the other tests; this one
        // only gives up.
        while race.doner_returned.load(Ordering::SeqCst) < round {
            if Instant::now() > give_up {
                return stop(Verdict::AllReleased);
            }
            thread::park_timeout(Duration::from_millis(1));
        }

        // done() has returned, so the counter is zero and a correct waiter
        // is awake (or about to be). It may still need CPU time, which a
        // busy machine gives slowly; only a waiter seen asleep the whole
        // time counts as a lost wake-up.
        let mut asleep_since: Option<Instant> = None;
        while race.waiter_returned.load(Ordering::SeqCst) < round {
            match thread_state(waiter_tid) {
                Some('S') | Some('D') => {
                    if asleep_since.get_or_insert_with(Instant::now).elapsed() >= ASLEEP_LIMIT {
                        return stop(Verdict::Lost { round });
                    }
                }
                _ => asleep_since = None,
            }
            if Instant::now() > give_up {
                return stop(Verdict::AllReleased);
            }
            thread::park_timeout(Duration::from_millis(1));
        }
    }
    // The helpers end by themselves once they see `stop`; on a busy machine
    // that may take a moment, which is not worth waiting for.
    drop(waiter);
    stop(Verdict::AllReleased)
}
