//! The contract of `spawn_senders`, one behaviour per test.

use crate::support::*;
use std::collections::HashSet;
use testkit::prelude::*;

hidden_tests! {
    fn no_users_gives_no_handles_and_calls_no_send() {
        failing_means(Category::WrongResult);
        let log = SendLog::new();
        let (_users, handles, _) = call_spawn_senders(Vec::new(), recording_send(&log), false);
        assert!(
            handles.is_empty(),
            "spawn_senders(&[], send) returned {} handles: with no users there is nothing to send and no \
             thread to start, so the result must be an empty Vec",
            handles.len()
        );
        join_all(handles);
        assert!(
            log.calls().is_empty(),
            "spawn_senders(&[], send) called `send` {} times: `send` is called once per user, and there \
             are none",
            log.calls().len()
        );
    }

    fn joining_each_handle_gives_back_what_send_returned() {
        failing_means(Category::WrongResult);
        let emails = vec!["asha@example.com".to_string(), "ben@example.org".to_string(), "chen@example.net".to_string()];
        // Whatever `send` returns is what joining that user's handle gives.
        let (_users, handles, _) = call_spawn_senders(users_with(&emails), |email: String| {
            (email.chars().rev().collect::<String>(), email.len())
        }, false);
        assert_eq!(handles.len(), 3, "3 users must give 3 handles, one per user, in user order");
        for (i, result) in join_all(handles).into_iter().enumerate() {
            let got = result.unwrap_or_else(|msg| {
                failing_means(Category::Panic);
                panic!("joining handle {i} failed: its thread panicked ({msg}). The thread must call `send` and return its result")
            });
            let want = (emails[i].chars().rev().collect::<String>(), emails[i].len());
            failing_means(Category::Order);
            assert_eq!(
                got, want,
                "joining handle {i} gave {got:?}, but `send({:?})` returns {want:?}. Handle i belongs to \
                 users[i] (the handles come back in user order), and its thread must return exactly what \
                 `send` returned for that user's email (the closure given to thread::spawn returns it, and \
                 join hands it back)",
                emails[i]
            );
        }
    }

    fn each_thread_sends_its_own_email_when_the_last_users_thread_starts_first() {
        failing_means(Category::WrongResult);
        // The last user's thread runs first, then the others in order.
        check_threads_started_in_order(
            6,
            |n| {
                let last = n.saturating_sub(1);
                std::iter::once(last).chain(0..last).take(n).collect()
            },
            "the test started the last user's thread first, then the others",
        );
    }

    fn each_thread_sends_its_own_email_when_threads_start_in_user_order() {
        failing_means(Category::WrongResult);
        check_threads_started_in_order(
            6,
            |n| (0..n).collect(),
            "the test started the threads one at a time, in user order",
        );
    }

    fn caller_may_drop_users_before_any_thread_starts() {
        failing_means(Category::WrongResult);
        let emails = plain_emails(8);
        let log = SendLog::new();
        let (users, handles, gate) = call_spawn_senders(users_with(&emails), recording_send(&log), true);
        let ids: Vec<_> = handles.iter().map(|h| h.thread().id()).collect();
        let ranks = creation_ranks(&gate, &handles);
        // The contract lets the caller drop `users` as soon as the call
        // returns. Do that, and reuse the freed memory, before any thread
        // has run a single line.
        drop(users);
        let junk = scribble_over_freed_strings(&emails.iter().map(String::len).collect::<Vec<_>>());
        if let Some(gate) = &gate {
            let order: Vec<usize> = (0..handles.len()).rev().collect();
            start_in_order(gate, &handles, &order, &log);
        }
        let results = join_all(handles);
        drop(junk);
        check_each_thread_sent_its_own_email(
            &emails, &ids, &ranks, results, &log,
            "the caller dropped `users`, and the memory was reused, before any thread started",
        );
    }

    fn handles_are_in_user_order_even_when_later_users_finish_first() {
        failing_means(Category::WrongResult);
        // `send` for user i finishes only after every later user's send has
        // finished, so the threads finish in reverse user order.
        let n = 8;
        let emails = plain_emails(n);
        let finished = Arc::new((Mutex::new(HashSet::<String>::new()), std::sync::Condvar::new()));
        // One deadline for the whole test: a broken implementation costs
        // one GENEROUS wait, not one per user.
        let deadline = Instant::now() + GENEROUS;
        let send = {
            let finished = Arc::clone(&finished);
            let emails = emails.clone();
            move |email: String| {
                let me = emails.iter().position(|e| *e == email);
                let later: Vec<String> = me.map(|i| emails[i + 1..].to_vec()).unwrap_or_default();
                let (set, cv) = &*finished;
                let mut done = set.lock().unwrap_or_else(|e| e.into_inner());
                while !later.iter().all(|e| done.contains(e)) && Instant::now() < deadline {
                    done = cv.wait_timeout(done, Duration::from_millis(20)).unwrap_or_else(|e| e.into_inner()).0;
                }
                done.insert(email.clone());
                cv.notify_all();
                (email, thread::current().id())
            }
        };
        let (_users, handles, _) = call_spawn_senders(users_with(&emails), send, false);
        let ids: Vec<_> = handles.iter().map(|h| h.thread().id()).collect();
        assert_eq!(handles.len(), n, "{n} users must give {n} handles, one per user");
        for (i, result) in join_all(handles).into_iter().enumerate() {
            let (email, thread) = result.unwrap_or_else(|msg| {
                failing_means(Category::Panic);
                panic!("the thread of handle {i} panicked: {msg}")
            });
            failing_means(Category::Order);
            assert!(
                email == emails[i] && thread == ids[i],
                "handle {i} gave the result of `send({email:?})`, but user{i}'s email is {:?}. Here the \
                 last user's `send` finished first and the first user's last: the handles must still come \
                 back in user order (handle i belongs to users[i]), not in the order threads finished, nor \
                 in the order of a HashMap or any other collection",
                emails[i]
            );
        }
    }

    fn every_send_runs_on_its_own_thread_all_at_the_same_time() {
        failing_means(Category::NotConcurrent);
        let n = 8;
        let emails = plain_emails(n);
        let meeting = Arc::new(Rendezvous::new(n, GENEROUS));
        let send = {
            let meeting = Arc::clone(&meeting);
            move |_email: String| (meeting.arrive(), thread::current().id())
        };
        let caller = thread::current().id();
        let (_users, handles, _) = call_spawn_senders(users_with(&emails), send, false);
        failing_means(Category::WrongResult);
        assert_eq!(handles.len(), n, "{n} users must give {n} handles, one per user");
        let results: Vec<_> = join_all(handles)
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|msg| {
                    failing_means(Category::Panic);
                    panic!("the thread of handle {i} panicked: {msg}")
                })
            })
            .collect();
        failing_means(Category::NotConcurrent);
        assert!(
            results.iter().all(|(met, _)| *met),
            "each `send` waited for all {n} sends to be running at once, and at most {} of them ever \
             were. Every user's `send` must run on a thread of its own, and spawn_senders must start \
             them all without waiting for any to finish",
            meeting.max_arrived()
        );
        let distinct: HashSet<_> = results.iter().map(|(_, t)| *t).collect();
        assert!(
            distinct.len() == n && !distinct.contains(&caller),
            "the {n} sends ran on {} distinct threads (the caller's own among them: {}). Each user needs \
             a new thread of its own",
            distinct.len(),
            distinct.contains(&caller)
        );
    }

    fn no_thread_is_left_once_every_handle_is_joined() {
        failing_means(Category::WrongResult);
        let before = thread_count();
        let log = SendLog::new();
        let (_users, handles, _) = call_spawn_senders(users_with(&plain_emails(10)), recording_send(&log), false);
        join_all(handles);
        failing_means(Category::LeakedThread);
        if let Err(alive) = wait_for_thread_count(before, GENEROUS) {
            panic!(
                "after every handle spawn_senders returned was joined, {} thread(s) it started were still \
                 running {} s later. spawn_senders must start exactly one thread per user and nothing that \
                 outlives them: joining the handles is how the caller knows every thread is gone",
                alive - before,
                GENEROUS.as_secs()
            );
        }
    }
}

/// Calls `spawn_senders` for `count` users with the start gate holding, lets
/// their threads start one at a time in the order `order(count)` gives, and
/// checks that every thread sent its own user's email. `how` tells the
/// learner which order the test forced.
fn check_threads_started_in_order(count: usize, order: fn(usize) -> Vec<usize>, how: &str) {
    let emails = plain_emails(count);
    let log = SendLog::new();
    let (users, handles, gate) = call_spawn_senders(users_with(&emails), recording_send(&log), true);
    let ids: Vec<_> = handles.iter().map(|h| h.thread().id()).collect();
    let ranks = creation_ranks(&gate, &handles);
    if let Some(gate) = &gate {
        start_in_order(gate, &handles, &order(handles.len()), &log);
    }
    let results = join_all(handles);
    drop(users);
    check_each_thread_sent_its_own_email(&emails, &ids, &ranks, results, &log, how);
}
