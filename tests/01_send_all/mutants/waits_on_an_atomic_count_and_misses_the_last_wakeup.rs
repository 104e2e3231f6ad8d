//! MUTANT: waits for the calls with a hand-made WaitGroup (an atomic count of finished calls, bumped by a drop guard like Go's `defer wg.Done()`, and a Condvar), but the calls bump and notify without the waiter's lock, so a last call that finishes between the waiter's check and its sleep wakes nobody and send_all sleeps for ever (a lost wakeup, narrow window).
//! CATEGORY: lost_wakeup

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;

/// Go's `wg.Done()`, deferred: counts the call as finished when it ends,
/// even by panicking, and wakes the waiter when it is the last one.
struct Done<'a> {
    finished: &'a AtomicUsize,
    all_done: &'a Condvar,
    total: usize,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        // An atomic needs no lock, so none is taken here: that is the mistake.
        if self.finished.fetch_add(1, Ordering::SeqCst) + 1 == self.total {
            self.all_done.notify_all();
        }
    }
}

/// Calls `send_email(address)` once for every address, each call on a thread
/// of its own, all running at the same time, and returns only after every
/// call has finished. A panic in one call reaches the caller after the
/// other calls have finished.
pub fn send_all<F>(addresses: &[String], send_email: F)
where
    F: Fn(&str) + Sync,
{
    let finished = AtomicUsize::new(0);
    let lock = Mutex::new(());
    let all_done = Condvar::new();
    let total = addresses.len();
    let (send_email, finished, all_done) = (&send_email, &finished, &all_done);
    thread::scope(|scope| {
        for address in addresses {
            scope.spawn(move || {
                let _done = Done { finished, all_done, total };
                send_email(address);
            });
        }
        // wg.Wait()
        let mut guard = lock.lock().unwrap();
        while finished.load(Ordering::SeqCst) < total {
            guard = all_done.wait(guard).unwrap();
        }
    });
}
