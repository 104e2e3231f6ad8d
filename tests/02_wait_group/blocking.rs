//! Waiting threads sleep: they cost no CPU while the counter is above zero.

use crate::support::{Waiters, thread_state};
use testkit::prelude::*;
use wait_group::WaitGroup;

/// Several waiters, so that a busy-waiting group shows clearly.
const WAITERS: usize = 8;
/// How long the waiters are watched.
const WINDOW: Duration = Duration::from_millis(400);

hidden_tests! {
    fn waiting_threads_sleep_instead_of_spinning() {
        failing_means(Category::BusyWait);
        let group = Arc::new(WaitGroup::new());
        group.add(1);
        let waiters = Waiters::spawn(&group, WAITERS);
        // Let the waiters reach wait(); a sleeping waiter costs nothing from
        // then on, whatever the machine's load.
        thread::sleep(Duration::from_millis(100));

        // Two views of the same window. The process's CPU time shows a busy
        // loop directly, but on a crowded machine a busy loop may get only a
        // small share of a core. So the waiters' scheduler states are also
        // sampled: a thread in a busy loop is always running or ready to run
        // ('R'), however little CPU it is given; a thread that sleeps is 'S'.
        let meter = CpuMeter::start();
        let (mut looks, mut runnable) = (0usize, 0usize);
        while meter.read().1 < WINDOW {
            for &tid in waiters.tids() {
                if let Some(state) = thread_state(tid) {
                    looks += 1;
                    runnable += usize::from(state == 'R');
                }
            }
            thread::sleep(Duration::from_millis(10));
        }
        let cores = meter.cores_used();
        let (cpu, wall) = meter.read();
        let runnable_share = runnable as f64 / looks.max(1) as f64;
        group.done();
        let released = waiters.all_returned(WAITERS, GENEROUS);

        let advice = "A waiting thread must sleep (block on a Condvar, a channel, or park) rather than \
                      loop checking the counter: a busy loop, even with yield_now or spin_loop, burns \
                      a core for as long as it waits";
        assert!(
            cores < 0.25,
            "{WAITERS} threads were waiting for 1 task; while they waited the process used {:.0} ms \
             of CPU in {:.0} ms ({cores:.2} cores). {advice}",
            cpu.as_secs_f64() * 1e3,
            wall.as_secs_f64() * 1e3,
        );
        assert!(
            runnable_share < 0.75,
            "{WAITERS} threads were waiting for 1 task; in {looks} looks at them over {:.0} ms, they \
             were running or ready to run {:.0}% of the time instead of asleep. {advice}",
            wall.as_secs_f64() * 1e3,
            runnable_share * 100.0,
        );
        failing_means(Category::LostWakeup);
        assert!(
            released,
            "the counter reached zero but only {} of {WAITERS} waiting threads returned within 5 s: \
             every waiting thread must be woken (notify_all, not notify_one)",
            waiters.returned()
        );
    }
}
