//! Many callers at once, many rounds, started together by a Barrier.

use crate::support::*;
use testkit::prelude::*;

hidden_tests! {
    fn concurrent_callers_each_get_their_own_users_results_every_round() {
        failing_means(Category::WrongResult);
        const CALLERS: usize = 4;
        const ROUNDS: usize = 25;
        const USERS: usize = 12;
        // On a crowded machine, stop starting rounds after this long: the
        // invariants are exact for however many rounds ran.
        const BUDGET: Duration = Duration::from_secs(3);
        let sends = Arc::new(AtomicUsize::new(0));
        let rounds_done = Arc::new(AtomicUsize::new(0));
        let problems = Arc::new(Mutex::new(Vec::<String>::new()));
        let finished = within(CALL_LIMIT, {
            let sends = Arc::clone(&sends);
            let problems = Arc::clone(&problems);
            let rounds_done = Arc::clone(&rounds_done);
            move || {
                let began = Instant::now();
                let stop = Arc::new(AtomicBool::new(false));
                let start = Arc::new(Barrier::new(CALLERS));
                let callers: Vec<_> = (0..CALLERS)
                    .map(|c| {
                        let (start, sends, problems) = (Arc::clone(&start), Arc::clone(&sends), Arc::clone(&problems));
                        let (stop, rounds_done) = (Arc::clone(&stop), Arc::clone(&rounds_done));
                        thread::spawn(move || {
                            for round in 0..ROUNDS {
                                let emails: Vec<String> =
                                    (0..USERS).map(|i| format!("caller{c}-round{round}-user{i}@example.com")).collect();
                                let users = users_with(&emails);
                                let sends = Arc::clone(&sends);
                                // Caller 0 decides before the barrier; the
                                // barrier shows everyone the same decision.
                                if c == 0 {
                                    stop.store(began.elapsed() > BUDGET, Ordering::SeqCst);
                                }
                                start.wait();
                                if stop.load(Ordering::SeqCst) {
                                    break;
                                }
                                if c == 0 {
                                    rounds_done.fetch_add(1, Ordering::SeqCst);
                                }
                                let outcome = std::panic::catch_unwind(move || {
                                    let handles = spawn_senders::spawn_senders(&users, move |email: String| {
                                        sends.fetch_add(1, Ordering::SeqCst);
                                        email
                                    });
                                    drop(users);
                                    handles.into_iter().map(|h| h.join().ok()).collect::<Vec<_>>()
                                });
                                let problem = match outcome {
                                    Err(_) => Some(format!("caller {c}, round {round}: spawn_senders panicked")),
                                    Ok(got) if got.len() != USERS => {
                                        Some(format!("caller {c}, round {round}: {} handles for {USERS} users", got.len()))
                                    }
                                    Ok(got) => got.iter().enumerate().find_map(|(i, g)| match g {
                                        Some(e) if *e == emails[i] => None,
                                        Some(e) => Some(format!(
                                            "caller {c}, round {round}: handle {i} returned the result for {e:?}, \
                                             but user{i}'s email is {:?}",
                                            emails[i]
                                        )),
                                        None => Some(format!("caller {c}, round {round}: the thread of handle {i} panicked")),
                                    }),
                                };
                                if let Some(p) = problem {
                                    problems.lock().unwrap_or_else(|e| e.into_inner()).push(p);
                                }
                            }
                        })
                    })
                    .collect();
                for caller in callers {
                    let _ = caller.join();
                }
            }
        });
        failing_means(Category::Deadlock);
        assert!(
            finished.is_some(),
            "{CALLERS} callers each calling spawn_senders {ROUNDS} times with {USERS} users (and joining \
             the handles) did not finish within {} s. Starting a thread per user and joining it must not \
             block on anything else",
            CALL_LIMIT.as_secs()
        );
        let rounds = rounds_done.load(Ordering::SeqCst);
        let problems = problems.lock().unwrap_or_else(|e| e.into_inner()).clone();
        failing_means(Category::Order);
        assert!(
            problems.is_empty(),
            "with {CALLERS} callers calling spawn_senders at the same moment (started together by a \
             Barrier), {} of {} rounds went wrong; the first: {}. Every call must hand each of its own \
             threads its own user's email, whatever other calls and threads are doing, and return the \
             handles in user order",
            problems.len(),
            CALLERS * rounds,
            problems[0]
        );
        let total = sends.load(Ordering::SeqCst);
        failing_means(Category::WrongResult);
        assert_eq!(
            total,
            CALLERS * rounds * USERS,
            "`send` was called {total} times for {} users in all: it must be called exactly once per user",
            CALLERS * rounds * USERS
        );
    }
}
