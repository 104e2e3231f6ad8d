//! The model's own tests: each runs a small program under many schedules
//! (shuttle's random and PCT schedulers) and checks what crossbeam-channel
//! promises, or that shuttle sees the deadlock a real run would hang in.

use crossbeam_model::time::{Instant, sleep};
use crossbeam_model::{
    RecvTimeoutError, Select, SendTimeoutError, TryRecvError, TrySendError, after, bounded, never, select,
    select_biased, tick, unbounded,
};
use shuttle::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use shuttle::sync::{Arc, Mutex};
use shuttle::thread;
use std::time::Duration;

const RUNS: usize = 300;

/// Runs `f` under random and PCT schedules. (PCT refuses a test with a
/// single thread, so a second one that does nothing runs beside it.)
fn each_schedule(f: impl Fn() + Send + Sync + 'static) {
    let f = std::sync::Arc::new(f);
    let g = f.clone();
    shuttle::check_random(move || g(), RUNS);
    shuttle::check_pct(
        move || {
            let idle = thread::spawn(|| ());
            f();
            idle.join().unwrap();
        },
        RUNS,
        3,
    );
}

#[test]
fn messages_arrive_in_order_and_iteration_ends_when_senders_are_gone() {
    each_schedule(|| {
        let (tx, rx) = unbounded();
        let tx2 = tx.clone();
        let a = thread::spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
        let b = thread::spawn(move || (10..13).for_each(|i| tx2.send(i).unwrap()));
        let got: Vec<i32> = rx.iter().collect();
        a.join().unwrap();
        b.join().unwrap();
        let from_a: Vec<i32> = got.iter().copied().filter(|&i| i < 10).collect();
        let from_b: Vec<i32> = got.iter().copied().filter(|&i| i >= 10).collect();
        assert_eq!(from_a, [0, 1, 2]);
        assert_eq!(from_b, [10, 11, 12]);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn a_bounded_channel_never_holds_more_than_its_capacity() {
    each_schedule(|| {
        let (tx, rx) = bounded(2);
        let producer = thread::spawn(move || {
            for i in 0..5 {
                tx.send(i).unwrap();
                assert!(tx.len() <= 2);
            }
        });
        let got: Vec<i32> = rx.iter().collect();
        producer.join().unwrap();
        assert_eq!(got, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn a_rendezvous_send_returns_only_once_a_receiver_is_there() {
    each_schedule(|| {
        let (tx, rx) = bounded::<u32>(0);
        assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
        let received = Arc::new(AtomicBool::new(false));
        let seen = received.clone();
        let consumer = thread::spawn(move || {
            let v = rx.recv().unwrap();
            seen.store(true, Ordering::SeqCst);
            v
        });
        tx.send(7).unwrap();
        drop(tx);
        assert_eq!(consumer.join().unwrap(), 7);
        assert!(received.load(Ordering::SeqCst));
    });
}

#[test]
fn a_send_to_a_channel_with_no_receiver_fails_and_gives_the_message_back() {
    each_schedule(|| {
        let (tx, rx) = bounded::<String>(0);
        let dropper = thread::spawn(move || drop(rx));
        let sent = tx.send("hi".to_string());
        dropper.join().unwrap();
        if let Err(e) = sent {
            assert_eq!(e.into_inner(), "hi");
        }
        assert!(tx.send("again".to_string()).is_err());
    });
}

#[test]
fn select_lets_the_scheduler_choose_among_ready_arms() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new([false; 2]));
    let record = seen.clone();
    shuttle::check_random(
        move || {
            let (a_tx, a) = unbounded();
            let (b_tx, b) = unbounded();
            a_tx.send(1).unwrap();
            b_tx.send(2).unwrap();
            let which = select! {
                recv(a) -> m => { assert_eq!(m, Ok(1)); 0 }
                recv(b) -> m => { assert_eq!(m, Ok(2)); 1 },
            };
            record.lock().unwrap()[which] = true;
            let biased = select_biased! {
                recv(a) -> _ => 0,
                recv(b) -> _ => 1,
            };
            assert_eq!(biased, 1 - which, "the other arm is the only one ready now");
        },
        100,
    );
    assert_eq!(*seen.lock().unwrap(), [true, true], "both arms are chosen in some schedule");
}

#[test]
fn select_waits_for_the_first_arm_to_be_ready_and_runs_a_default_when_none_is() {
    each_schedule(|| {
        let (tx, rx) = unbounded::<u8>();
        let (done_tx, done) = bounded::<()>(1);
        let got = select! {
            recv(rx) -> _ => unreachable!(),
            default => 5,
        };
        assert_eq!(got, 5);
        // The sender keeps both channels connected: a disconnected channel
        // is ready too, and select! could pick it again.
        let sender = thread::spawn(move || {
            tx.send(3).unwrap();
            done_tx.send(()).unwrap();
            (tx, done_tx)
        });
        let mut seen = Vec::new();
        while seen.len() < 2 {
            select! {
                recv(rx) -> m => seen.push(m.unwrap()),
                recv(done) -> m => { m.unwrap(); seen.push(0) }
            }
        }
        drop(sender.join().unwrap());
        seen.sort();
        assert_eq!(seen, [0, 3]);
    });
}

#[test]
fn select_can_send_and_the_select_type_works_too() {
    each_schedule(|| {
        let (tx, rx) = bounded(1);
        let (_keep, never_rx) = unbounded::<u8>();
        select! {
            send(tx, 9) -> r => r.unwrap(),
            recv(never_rx) -> _ => unreachable!(),
        }
        let mut sel = Select::new();
        let i = sel.recv(&rx);
        let oper = sel.select();
        assert_eq!(oper.index(), i);
        assert_eq!(oper.recv(&rx), Ok(9));
    });
}

#[test]
fn a_timed_wait_times_out_when_nothing_comes_and_time_moves_by_exactly_the_timeout() {
    each_schedule(|| {
        let (_tx, rx) = unbounded::<u8>();
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(Duration::from_millis(30)), Err(RecvTimeoutError::Timeout));
        assert_eq!(start.elapsed(), Duration::from_millis(30));
        let (tx, _rx) = bounded::<u8>(0);
        assert!(matches!(tx.send_timeout(1, Duration::from_secs(1)), Err(SendTimeoutError::Timeout(1))));
        assert_eq!(start.elapsed(), Duration::from_millis(1030));
    });
}

#[test]
fn a_message_sent_before_the_deadline_wins_over_the_timeout() {
    each_schedule(|| {
        let (tx, rx) = unbounded();
        let sender = thread::spawn(move || {
            sleep(Duration::from_millis(10));
            tx.send(1).unwrap();
        });
        // Threads are fast next to the clock: the send at 10 ms comes first.
        assert_eq!(rx.recv_timeout(Duration::from_millis(50)), Ok(1));
        assert_eq!(rx.recv_timeout(Duration::from_millis(50)), Err(RecvTimeoutError::Disconnected));
        sender.join().unwrap();
    });
}

#[test]
fn sleeps_end_in_deadline_order() {
    each_schedule(|| {
        let order = Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|ms| {
                let order = order.clone();
                thread::spawn(move || {
                    sleep(Duration::from_millis(ms));
                    order.lock().unwrap().push(ms);
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*order.lock().unwrap(), [10, 20, 30]);
    });
}

#[test]
fn after_tick_and_never_deliver_on_the_virtual_clock() {
    each_schedule(|| {
        let start = Instant::now();
        let ticks = tick(Duration::from_millis(10));
        let timeout = after(Duration::from_millis(35));
        let mut count = 0;
        loop {
            select! {
                recv(ticks) -> t => { t.unwrap(); count += 1 }
                recv(timeout) -> at => { assert_eq!(at.unwrap(), start + Duration::from_millis(35)); break }
                recv(never::<u8>()) -> _ => unreachable!(),
            }
        }
        assert_eq!(count, 3);
    });
}

#[test]
fn condvar_waits_time_out_on_the_virtual_clock() {
    each_schedule(|| {
        let pair = std::sync::Arc::new((Mutex::new(false), crossbeam_model::__threadwork::Condvar::new()));
        let start = Instant::now();
        let (lock, cv) = &*pair;
        let (g, r) = cv.wait_timeout_while(lock.lock().unwrap(), Duration::from_millis(20), |set| !*set).unwrap();
        assert!(r.timed_out() && !*g);
        drop(g);
        assert_eq!(start.elapsed(), Duration::from_millis(20));
        let other = pair.clone();
        let setter = thread::spawn(move || {
            *other.0.lock().unwrap() = true;
            other.1.notify_all();
        });
        let (g, r) = cv.wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(5), |set| !*set).unwrap();
        assert!(!r.timed_out() && *g);
        drop(g);
        setter.join().unwrap();
    });
}

#[test]
#[should_panic(expected = "deadlock")]
fn a_receive_that_nothing_will_answer_is_a_deadlock() {
    shuttle::check_random(
        || {
            let (tx, rx) = unbounded::<u8>();
            let t = thread::spawn(move || rx.recv().unwrap());
            t.join().unwrap();
            drop(tx);
        },
        10,
    );
}

#[test]
#[should_panic(expected = "lost")]
fn exploration_finds_a_check_then_act_on_a_channel() {
    // Two threads each take a message if they see one: between `is_empty`
    // and `try_recv` the other may take it.
    shuttle::check_pct(
        || {
            let (tx, rx) = unbounded();
            tx.send(1).unwrap();
            let taken = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (rx, taken) = (rx.clone(), taken.clone());
                    thread::spawn(move || {
                        if !rx.is_empty() {
                            rx.try_recv().expect("the message seen was lost to the other thread");
                            taken.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
        },
        200,
        2,
    );
}

#[test]
fn receivers_waiting_together_on_a_rendezvous_channel_share_its_messages() {
    // Two receivers waiting at once must not wake each other for ever (PCT
    // keeps the sender at low priority, and would see a livelock).
    each_schedule(|| {
        let (tx, rx) = bounded::<u32>(0);
        let got = Arc::new(AtomicUsize::new(0));
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let (rx, got) = (rx.clone(), got.clone());
                thread::spawn(move || {
                    while rx.recv().is_ok() {
                        got.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        drop(rx);
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        drop(tx);
        receivers.into_iter().for_each(|r| r.join().unwrap());
        assert_eq!(got.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn std_mpsc_in_the_exploration_build_times_out_on_the_virtual_clock() {
    use crossbeam_model::__threadwork::mpsc;
    each_schedule(|| {
        let (tx, rx) = mpsc::channel::<u8>();
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(Duration::from_millis(40)), Err(mpsc::RecvTimeoutError::Timeout));
        assert_eq!(start.elapsed(), Duration::from_millis(40));
        let sender = thread::spawn(move || tx.send(5).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(1)), Ok(5));
        sender.join().unwrap();
        assert_eq!(rx.recv(), Err(mpsc::RecvError));
        let (tx, rx) = mpsc::sync_channel::<u8>(1);
        tx.try_send(1).unwrap();
        assert_eq!(tx.try_send(2), Err(mpsc::TrySendError::Full(2)));
        assert_eq!(rx.iter().next(), Some(1));
    });
}
