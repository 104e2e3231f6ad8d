//! Helpers shared by this exercise's hidden tests: waiter threads whose
//! progress the tests can observe, and a few Linux scheduling controls.
//!
//! Whether a thread is asleep is read from `/proc/self/task/TID/stat`. That is
//! how the tests know that a waiter really is blocked inside `wait` before
//! they call `done`, without sleeping for a guessed amount of time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use testkit::prelude::*;
use wait_group::WaitGroup;

/// The kernel's id of the calling thread.
pub fn current_tid() -> i32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

/// The scheduler state letter of one of this process's threads: `R`
/// (running or runnable), `S` (asleep: blocked on a lock, a condition
/// variable, a channel, a sleep...), `D`, and so on; `None` once it has ended.
pub fn thread_state(tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // The command name in parentheses may hold spaces; the state follows the
    // last closing parenthesis.
    stat.rsplit(')').next()?.trim_start().chars().next()
}

fn is_asleep(tid: i32) -> bool {
    matches!(thread_state(tid), Some('S') | Some('D'))
}

/// Polls until `tid` has been seen asleep on `samples` polls in a row (1 ms
/// apart), or `done()` holds, or `timeout` passes. Says whether it was seen
/// asleep that long.
pub fn settles_asleep(tid: i32, samples: u32, timeout: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    let mut in_a_row = 0;
    while Instant::now() < deadline {
        if done() {
            return false;
        }
        if is_asleep(tid) {
            in_a_row += 1;
            if in_a_row >= samples {
                return true;
            }
        } else {
            in_a_row = 0;
        }
        thread::sleep(Duration::from_millis(1));
    }
    false
}

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

/// Runs `f` and returns the message of the panic it raised, or `None` if it
/// returned normally. The default panic output is printed as usual.
pub fn panic_message(f: impl FnOnce()) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic whose payload is not a string)".to_string()
    })
}

/// The CPUs this process may run on, in order.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: sched_getaffinity writes into the set we hand it, at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

/// Pins the calling thread to one CPU; says whether the kernel agreed.
pub fn pin_current_thread(cpu: usize) -> bool {
    // SAFETY: sched_setaffinity only reads the set we hand it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}
