//! Looking at individual threads: whether one is asleep, how much CPU one
//! used, and pinning one to a CPU (Linux).
//!
//! A hidden test often needs to know that a thread is *inside* a blocking
//! call before it acts (a waiter really waiting, an idle worker really idle).
//! Sleeping for a guessed time is flaky on a busy machine; reading the
//! scheduler's state of that thread from `/proc` is not.
//!
//! [`measure_waiting_cpu`] is the spin detector that holds on a crowded
//! machine: it runs a spinning thread of its own during the window, so that
//! "how much CPU would a spinner get here, now" is measured rather than
//! guessed, and compares the rest of the process with it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::probe::CpuMeter;

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

/// Whether the thread is blocked (asleep in the kernel) right now.
pub fn is_asleep(tid: i32) -> bool {
    matches!(thread_state(tid), Some('S') | Some('D'))
}

/// Polls until `tid` has been seen asleep on `samples` polls in a row (1 ms
/// apart), or `give_up()` holds, or `timeout` passes. Says whether it was
/// seen asleep that long.
pub fn settles_asleep(tid: i32, samples: u32, timeout: Duration, give_up: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    let mut in_a_row = 0;
    while Instant::now() < deadline {
        if give_up() {
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
        std::thread::sleep(Duration::from_millis(1));
    }
    false
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

/// The CPU time the calling thread has used, from
/// `/proc/thread-self/schedstat` (nanoseconds); `None` where the kernel does
/// not provide it (the clock ticks of `/proc/thread-self/stat` are too coarse
/// to subtract from the process's CPU time).
pub fn this_thread_cpu_time() -> Option<Duration> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The CPU time the process spent over a window in which the code under test
/// was (supposed to be) only waiting. See [`measure_waiting_cpu`].
#[derive(Debug, Clone, Copy)]
pub struct WaitingCpu {
    /// CPU time of every thread but the test's own yardstick spinner.
    pub waiting: Duration,
    /// CPU time the yardstick spinner got, where the system reports it.
    pub spinner: Option<Duration>,
    /// The length of the window.
    pub wall: Duration,
}

impl WaitingCpu {
    /// The most CPU a blocked waiter may have used without counting as
    /// spinning: a quarter of what the yardstick spinner got, but never less
    /// than 3 % of the window (5 % where the spinner's time is unknown). A
    /// blocked thread stays far below either; a spinning one gets about as
    /// much as the yardstick.
    pub fn limit(&self) -> Duration {
        match self.spinner {
            Some(spinner) => (spinner / 4).max(self.wall * 3 / 100),
            None => self.wall / 20,
        }
    }

    /// Whether the waiting threads used more than [`limit`](Self::limit).
    pub fn looks_like_spinning(&self) -> bool {
        self.waiting >= self.limit()
    }

    /// "used X ms of CPU in Y ms (a thread doing nothing but spin got Z ms
    /// over the same time)", for failure messages.
    pub fn describe(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "used {:.0} ms of CPU in {:.0} ms ({})",
            ms(self.waiting),
            ms(self.wall),
            match self.spinner {
                Some(s) => format!("a thread doing nothing but spin got {:.0} ms over the same time", ms(s)),
                None => "a thread that blocks uses none".to_string(),
            }
        )
    }
}

/// Measures the process's CPU time over `window`, with a spinning thread of
/// the test's own running alongside as a yardstick when per-thread CPU time
/// is available. The spinner takes both readings itself, so starting and
/// ending it is not counted. Call it while the code under test should be
/// blocked, and make sure no other thread of the test is busy meanwhile.
///
/// Why a yardstick: on a crowded machine the process may get only a small
/// share of a core, so "a spinner uses most of a core" is not true there; a
/// spinner does get about as much as any other spinner, though. (Measured
/// over 400 ms on a 2-core machine with a load average of 12: a spinning
/// waiter used 29 to 89 ms, about what the yardstick got; a blocked one 0 ms.)
pub fn measure_waiting_cpu(window: Duration) -> WaitingCpu {
    if this_thread_cpu_time().is_none() {
        let meter = CpuMeter::start();
        std::thread::sleep(window);
        let (waiting, wall) = meter.read();
        return WaitingCpu { waiting, spinner: None, wall };
    }
    std::thread::spawn(move || {
        let before = this_thread_cpu_time();
        let meter = CpuMeter::start();
        let start = Instant::now();
        while start.elapsed() < window {
            std::hint::spin_loop();
        }
        let (cpu, wall) = meter.read();
        let spinner = this_thread_cpu_time().zip(before).map(|(after, before)| after.saturating_sub(before));
        WaitingCpu { waiting: cpu.saturating_sub(spinner.unwrap_or_default()), spinner, wall }
    })
    .join()
    .expect("the test's yardstick thread panicked")
}
