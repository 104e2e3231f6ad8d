//! Proofs that the mirrors really run at the same time, that nothing the
//! call started outlives it, and that waiting costs no CPU.

use crate::support::{FOREVER, Flags, Turns, call_within, mirror, never_answers};
use first_response::Mirror;
use testkit::prelude::*;

hidden_tests! {
    fn all_mirrors_run_at_the_same_time() {
        // Every mirror waits for all the others to be running too. Only a
        // mirror that met them all answers Ok.
        const N: usize = 8;
        failing_means(Category::NotConcurrent);
        let meeting = Arc::new(Rendezvous::new(N, GENEROUS));
        let mirrors: Vec<Mirror<usize>> = (0..N)
            .map(|i| {
                let meeting = meeting.clone();
                mirror(move |_| {
                    if meeting.arrive() { Ok(i) } else { Err(format!("mirror {i} waited for the others in vain")) }
                })
            })
            .collect();
        let outcome = call_within(Duration::from_secs(8), mirrors, Duration::from_secs(7));
        let Some(outcome) = outcome else {
            panic!(
                "first_response did not return within 8 s; each of its {N} mirrors waits at most 5 s \
                 for the others to be running too, and answers at once when they are"
            )
        };
        assert!(
            outcome.is_ok() && meeting.max_arrived() == N,
            "each of the {N} mirrors waited for all the others to be running at the same time, but at \
             most {} of them ever were (first_response returned {outcome:?}). Start a thread for every \
             mirror before waiting for any answer: calling the mirrors one after another, or joining \
             each thread before starting the next, makes the first answer wait for every slower mirror",
            meeting.max_arrived()
        );
    }

    fn leaves_no_thread_behind() {
        // Three calls that end three ways: an answer, every mirror failed,
        // and the timeout. After each, the census must come back to where
        // it was before the call.
        const N: usize = 4;
        let before = thread_count();
        // How the call ends, its timeout, and how to make mirror i.
        type Way = (&'static str, Duration, fn(usize, &Arc<Flags>) -> Mirror<u32>);
        let ways: [Way; 3] = [
            ("mirror 0 answered and the others never answer", FOREVER, |i, flags| {
                if i == 0 { mirror(|_| Ok(0)) } else { never_answers(i, flags, &Flags::new(N)) }
            }),
            ("every mirror failed", FOREVER, |i, _| mirror(move |_| Err(format!("mirror {i} failed")))),
            ("no mirror answered before the 100 ms timeout", Duration::from_millis(100), |i, flags| {
                never_answers(i, flags, &Flags::new(N))
            }),
        ];
        for (how, timeout, make) in ways {
            let saw_cancel = Flags::new(N);
            let mirrors: Vec<Mirror<u32>> = (0..N).map(|i| make(i, &saw_cancel)).collect();
            let outcome = call_within(GENEROUS, mirrors, timeout);
            failing_means(Category::IgnoredCancellation);
            assert!(
                outcome.is_some(),
                "first_response did not return within 5 s when {how}: cancel the mirrors that are still \
                 working, then join them"
            );
            failing_means(Category::LeakedThread);
            if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
                panic!(
                    "{} thread(s) more than before the call were still alive 5 s after first_response \
                     returned (the call ended because {how}). Every mirror thread must have ended when \
                     the call returns: cancel them all, on every path out of the call (an answer, all \
                     failed, the timeout), and join them",
                    alive - before
                );
            }
        }
    }

    fn waits_for_the_mirrors_without_spinning() {
        // Four calls at once, each with one mirror blocked on a gate of the
        // test's own and one asleep in Cancel::sleep. While they are, the
        // calls have nothing to do but wait, and so have the mirrors.
        //
        // Two views of that time. First the scheduler's state of each
        // thread, sampled: a thread that blocks is asleep ('S'); one that
        // polls in a loop is always running or ready to run ('R'), even
        // with yield_now, however little CPU a busy machine gives it. Then
        // the process's CPU time, compared with what a spinning thread of
        // the test's own gets over the same window.
        const CALLS: usize = 4;
        const LOOKS: Duration = Duration::from_millis(300);
        const MIN_LOOKS: u32 = 20;
        const WINDOW: Duration = Duration::from_millis(400);
        let gate = Turns::new();
        let give_up = Instant::now() + Duration::from_secs(15);
        let (tid_tx, tid_rx) = std::sync::mpsc::channel::<(&'static str, i32)>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let mut cancel_flags = Vec::new();
        for call in 0..CALLS {
            let (saw_cancel, ended) = (Flags::new(2), Flags::new(2));
            cancel_flags.push(saw_cancel.clone());
            let waits_for_gate = {
                let (gate, tid_tx) = (gate.clone(), tid_tx.clone());
                mirror(move |_| {
                    let _ = tid_tx.send(("a mirror blocked on the test's gate", current_tid()));
                    gate.wait_for(1, give_up);
                    Ok(call)
                })
            };
            let sleeps = {
                let (tid_tx, sleeper) = (tid_tx.clone(), never_answers::<usize>(1, &saw_cancel, &ended));
                mirror(move |cancel| {
                    let _ = tid_tx.send(("a mirror in Cancel::sleep", current_tid()));
                    sleeper(cancel)
                })
            };
            let (done_tx, tid_tx) = (done_tx.clone(), tid_tx.clone());
            thread::spawn(move || {
                let _ = tid_tx.send(("the thread that called first_response", current_tid()));
                let _ = done_tx.send((call, first_response::first_response(vec![waits_for_gate, sleeps], FOREVER)));
            });
        }
        drop(tid_tx);
        let deadline = Instant::now() + GENEROUS;
        let threads: Vec<(&str, i32)> = (0..3 * CALLS)
            .map_while(|_| tid_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok())
            .collect();
        let all_started = threads.len() == 3 * CALLS;
        let mut busy: Option<&str> = None;
        let mut measured = None;
        if all_started {
            // Let the last threads reach their waits.
            thread::sleep(Duration::from_millis(20));
            let mut looks = vec![(0u32, 0u32); threads.len()];
            // At least LOOKS of time and MIN_LOOKS looks at every thread: on
            // a crowded machine this thread itself may be starved of CPU and
            // look far less often than every 10 ms. (Every thread stays
            // blocked meanwhile: the gate opens only after the looks.)
            let began = Instant::now();
            while began.elapsed() < LOOKS
                || (looks.iter().any(|&(seen, _)| seen < MIN_LOOKS) && began.elapsed() < Duration::from_secs(2))
            {
                for (k, &(_, tid)) in threads.iter().enumerate() {
                    if let Some(state) = thread_state(tid) {
                        looks[k].0 += 1;
                        looks[k].1 += u32::from(state == 'R');
                    }
                }
                thread::sleep(Duration::from_millis(10));
            }
            busy = threads
                .iter()
                .zip(&looks)
                .find(|(_, (seen, running))| *seen >= MIN_LOOKS / 2 && *running * 2 >= *seen)
                .map(|(&(what, _), _)| what);
            measured = Some(measure_waiting_cpu(WINDOW));
        }
        gate.advance();
        failing_means(Category::NotConcurrent);
        assert!(
            all_started,
            "only {} of the {} mirrors of {CALLS} calls had started 5 s after the calls began: \
             first_response must start every mirror at once",
            threads.len().saturating_sub(CALLS),
            2 * CALLS
        );
        let deadline = Instant::now() + GENEROUS;
        for _ in 0..CALLS {
            let Ok((call, outcome)) = done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
                failing_means(Category::IgnoredCancellation);
                panic!(
                    "in each of {CALLS} calls, mirror 0 answered Ok, but not every call had returned 5 s \
                     later: cancel the mirror still sleeping, then join it"
                )
            };
            failing_means(Category::WrongResult);
            assert_eq!(outcome, Ok(call), "mirror 0 of call {call} answers Ok({call}) and mirror 1 never answers");
            failing_means(Category::IgnoredCancellation);
            assert!(cancel_flags[call].is_raised(1), "call {call} returned before its mirror 1 saw the cancellation");
        }
        let advice = "Waiting must block, not poll: wait for results with recv_deadline / recv_timeout \
                      (or select! with an after() channel) rather than a try_recv loop, and if you \
                      changed Cancel, its sleep must block on a Condvar (or a channel), not check a flag \
                      in a loop (yield_now or spin_loop in it do not make it block)";
        failing_means(Category::BusyWait);
        if let Some(what) = busy {
            panic!(
                "while every mirror of {CALLS} calls was blocked, {what} was running or ready to run \
                 in at least half of the test's looks at it, instead of asleep: it was polling. {advice}"
            );
        }
        let measured = measured.unwrap();
        assert!(
            !measured.looks_like_spinning(),
            "while {CALLS} calls waited for mirrors that were all blocked (one waiting for the test, \
             one in Cancel::sleep, in each call), the process {}. {advice}",
            measured.describe()
        );
    }
}
