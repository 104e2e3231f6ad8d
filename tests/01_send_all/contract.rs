use testkit::prelude::*;

hidden_tests! {
    fn calls_once_per_address() {
        let seen = Mutex::new(Vec::new());
        let addresses: Vec<String> = vec!["a@x".into(), "b@x".into()];
        send_all::send_all(&addresses, |a| seen.lock().unwrap().push(a.to_string()));
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, addresses, "every address must be sent exactly once");
    }
}
