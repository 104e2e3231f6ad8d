//! Helpers shared by this exercise's hidden tests: waiter threads whose
//! progress the tests can observe, and a few Linux scheduling controls.
//!
//! Whether a thread is asleep is read from `/proc/self/task/TID/stat`. That is
//! how the tests know that a waiter really is blocked inside `wait` before
//! they call `done`, without sleeping for a guessed amount of time.

use testkit::prelude::*;
use wait_group::WaitGroup;

pub use testkit::threads::{
    allowed_cpus, current_tid, panic_message, pin_current_thread, settles_asleep, thread_state,
};

/// Threads that each call `wait` once on a shared group and count their return.
pub struct Waiters {
    returned: Arc<AtomicUsize>,
    tids: Vec<i32>,
}

impl Waiters {
    /// Starts `k` threads that call `group.wait()` and then count themselves
    /// as returned. Returns once every thread is running (they may not have
    /// reached `wait` yet).
    pub fn spawn(group: &Arc<WaitGroup>, k: usize) -> Waiters {
        let returned = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..k {
            let (group, returned, tx) = (group.clone(), returned.clone(), tx.clone());
            thread::Builder::new()
                .name(format!("waiter-{i}"))
                .spawn(move || {
                    let _ = tx.send(current_tid());
                    group.wait();
                    returned.fetch_add(1, Ordering::SeqCst);
                })
                .expect("could not start a waiter thread");
        }
        let tids = (0..k).map(|_| rx.recv().expect("a waiter thread died at start")).collect();
        Waiters { returned, tids }
    }

    /// The kernel thread ids of the waiters.
    pub fn tids(&self) -> &[i32] {
        &self.tids
    }

    /// How many have returned from `wait`.
    pub fn returned(&self) -> usize {
        self.returned.load(Ordering::SeqCst)
    }

    /// Waits until every waiter that has not returned is asleep (blocked)
    /// and has stayed so for a while, or until a deadline. Used before
    /// calling `done`, so that the waiters are really inside `wait`. A
    /// spinning implementation never settles; after the deadline (1 s) the
    /// test goes on anyway (another test is about spinning).
    pub fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        for &tid in &self.tids {
            let left = deadline.saturating_duration_since(Instant::now());
            settles_asleep(tid, 10, left, || thread_state(tid).is_none());
        }
        // A waiter blocked on the group's internal lock (rather than on its
        // wake-up signal) is asleep too; give any such one time to move on.
        thread::sleep(Duration::from_millis(20));
    }

    /// Waits up to `timeout` for `n` returns in all; says whether they came.
    pub fn all_returned(&self, n: usize, timeout: Duration) -> bool {
        eventually(timeout, || self.returned() >= n)
    }
}
