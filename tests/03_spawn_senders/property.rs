//! Any users (empty emails, duplicates, any Unicode), any start order.

use crate::start_gate;
use crate::support::*;
use proptest::prelude::*;
use testkit::prelude::*;

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z]{1,6}@[a-z]{1,6}\\.(com|org|jp)",
        "\\PC{1,10}",
        prop::sample::select(vec!["same@example.com".to_string(), "ünïcødé@例え.jp".to_string()]),
    ]
}

hidden_tests! {
    fn any_users_started_in_any_order_each_get_their_own_email() {
        failing_means(Category::WrongResult);
        let cases = prop::collection::vec(email(), 0..10).prop_flat_map(|emails| {
            let n = emails.len();
            (Just(emails), Just((0..n).collect::<Vec<usize>>()).prop_shuffle(), any::<bool>())
        });
        check_property(
            "any_users_started_in_any_order_each_get_their_own_email",
            40,
            cases,
            "for some list of users and some order in which their threads started, a thread did not \
             send its own user's email (or a handle was missing, or out of order). Each thread must own \
             its user's email from the moment it is spawned",
            |(emails, order, drop_users_first)| {
                let log = SendLog::new();
                let (users, handles, gate) = call_spawn_senders(users_with(&emails), recording_send(&log), true);
                let ids: Vec<_> = handles.iter().map(|h| h.thread().id()).collect();
                let ranks = creation_ranks(&gate, &handles);
                let mut users = Some(users);
                let mut junk = Vec::new();
                if drop_users_first {
                    users = None;
                    junk = scribble_over_freed_strings(&emails.iter().map(String::len).collect::<Vec<_>>());
                }
                if let Some(gate) = &gate {
                    let order: Vec<usize> = order.iter().copied().filter(|&i| i < handles.len()).collect();
                    start_in_order(gate, &handles, &order, &log);
                }
                let results = join_all(handles);
                drop((users, junk));
                check_each_thread_sent_its_own_email(
                    &emails,
                    &ids,
                    &ranks,
                    results,
                    &log,
                    &format!(
                        "threads started in the order {order:?}{}{}",
                        if drop_users_first { ", after the caller dropped `users`" } else { "" },
                        if start_gate::degraded() { " (or as they came, once ordering was given up)" } else { "" }
                    ),
                );
                Ok(())
            },
        );
    }
}
