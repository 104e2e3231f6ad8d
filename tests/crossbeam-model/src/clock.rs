//! The virtual clock of an exploration: shuttle has none, so every timed
//! wait (a sleep, a `Condvar::wait_timeout`, a channel's `*_timeout`, an
//! `after` or a `tick`) waits on this one.
//!
//! Semantics: time starts at the same instant in every execution and moves
//! only when no thread can run. Then a timer thread (one per execution,
//! started by the first timed wait) moves it to the earliest pending
//! deadline and wakes every wait due by then. So threads are infinitely
//! fast next to the timeouts in a test: a timeout fires exactly when nothing
//! else could happen first, a timed wait is never reported as a deadlock,
//! and time never goes back. What this cannot model: a thread delayed past
//! a deadline while it could run (a preemption longer than a timeout), and
//! the work a thread does taking time.

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::storage::StorageKey;
use shuttle_engine::runtime::task::TaskId;
use shuttle_engine::runtime::thread::switch;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where virtual time starts, far enough from zero that `now - d` works as
/// it does on a machine that has been up a while.
const EPOCH: Duration = Duration::from_secs(1 << 20);

/// A moment on the virtual clock; `std::time::Instant` in the exploration
/// build of the learner's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The virtual time now.
    pub fn now() -> Instant {
        Instant(now())
    }

    /// Time passed since `earlier`; zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// Time passed since `earlier`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_sub(earlier.0)
    }

    /// Time passed since `earlier`; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }

    /// Virtual time passed since this instant.
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// This instant plus `d`, or `None` past the clock's range.
    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        self.0.checked_add(d).map(Instant)
    }

    /// This instant minus `d`, or `None` before the clock's range.
    pub fn checked_sub(&self, d: Duration) -> Option<Instant> {
        self.0.checked_sub(d).map(Instant)
    }

    pub(crate) fn since_start(self) -> Duration {
        self.0
    }

    pub(crate) fn at(d: Duration) -> Instant {
        Instant(d)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d).expect("overflow when adding duration to instant")
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        self.checked_sub(d).expect("overflow when subtracting duration from instant")
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.duration_since(other)
    }
}

/// How the timer wakes a timed wait that is due.
pub(crate) enum Wake {
    /// The thread blocked itself (`blocking::block`) or parked: unblock it.
    Unblock(TaskId),
    /// The thread waits on a shuttle `Condvar`, which must be notified.
    Notify(Arc<shuttle::sync::Condvar>),
}

struct Pending {
    id: u64,
    deadline: Duration,
    wake: Wake,
}

#[derive(Default)]
struct ClockState {
    /// Virtual time since `EPOCH`... plus `EPOCH`.
    now: Duration,
    pending: Vec<Pending>,
    next_id: u64,
    /// The timer thread, once started.
    timer: Option<TaskId>,
    /// Set before the timer is spawned (spawning is a scheduling point, and
    /// another thread must not spawn a second one meanwhile).
    timer_started: bool,
    /// Whether the timer is blocked because nothing was pending.
    timer_idle: bool,
}

/// Where the execution keeps its clock: shuttle's per-execution storage,
/// read and created without a scheduling point (unlike
/// `shuttle::lazy_static`, whose first use is one, and so could come while
/// a channel's lock is held).
static CLOCK_KEY: u8 = 0;

fn with_clock<R>(f: impl FnOnce(&mut ClockState) -> R) -> R {
    let key = StorageKey(&CLOCK_KEY as *const u8 as usize, 0x7c10c);
    let clock = ExecutionState::with(|s| match s.get_storage::<_, Arc<Mutex<ClockState>>>(key) {
        Some(clock) => clock.clone(),
        None => {
            let clock = Arc::new(Mutex::new(ClockState { now: EPOCH, ..ClockState::default() }));
            s.init_storage(key, clock.clone());
            clock
        }
    });
    let mut state = clock.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut state)
}

fn in_execution() -> bool {
    ExecutionState::try_with(|_| ()).is_ok()
}

/// The virtual time now (since the clock's start, plus `EPOCH`).
pub(crate) fn now() -> Duration {
    if !in_execution() {
        return EPOCH;
    }
    with_clock(|c| c.now)
}

/// A pending deadline, withdrawn when dropped.
pub(crate) struct Deadline {
    id: u64,
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if in_execution() {
            with_clock(|c| c.pending.retain(|p| p.id != self.id));
        }
    }
}

/// Asks the timer to `wake` at `deadline` (virtual), unless withdrawn by
/// dropping what this returns first. Call [`ensure_timer`] first.
pub(crate) fn register(deadline: Duration, wake: Wake) -> Deadline {
    let (id, unidle) = with_clock(|c| {
        let id = c.next_id;
        c.next_id += 1;
        c.pending.push(Pending { id, deadline, wake });
        let unidle = if c.timer_idle {
            c.timer_idle = false;
            c.timer
        } else {
            None
        };
        (id, unidle)
    });
    if let Some(timer) = unidle {
        crate::blocking::unblock(timer);
    }
    Deadline { id }
}

/// Starts this execution's timer thread if it has not started. Starting it
/// is a scheduling point, so it is done before a thread registers anywhere
/// it could be woken from, never between that and blocking.
#[track_caller]
pub(crate) fn ensure_timer() {
    let started = with_clock(|c| std::mem::replace(&mut c.timer_started, true));
    if started {
        return;
    }
    let stack = ExecutionState::with(|s| s.config.stack_size);
    let caller = std::panic::Location::caller();
    let id = ExecutionState::spawn_thread(Box::new(timer), stack, Some("virtual clock".to_string()), None, caller);
    ExecutionState::with(|s| s.detach(id));
    with_clock(|c| c.timer = Some(id));
}

/// Whether a thread other than `me` can run.
fn others_can_run(me: TaskId) -> bool {
    ExecutionState::with(|s| {
        (0..)
            .map(TaskId::from)
            .map_while(|id| s.try_get(id).map(|t| (id, t.runnable())))
            .any(|(id, runnable)| id != me && runnable)
    })
}

/// The timer thread: sleeps while nothing is pending, steps aside while
/// any other thread can run, and otherwise moves time to the earliest
/// deadline and wakes what is due.
fn timer() {
    let me = ExecutionState::me();
    loop {
        enum Step {
            Idle,
            Wait,
            Fire(Vec<Wake>),
        }
        let step = with_clock(|c| {
            if c.pending.is_empty() {
                c.timer_idle = true;
                return Step::Idle;
            }
            if others_can_run(me) {
                return Step::Wait;
            }
            let earliest = c.pending.iter().map(|p| p.deadline).min().expect("not empty");
            c.now = c.now.max(earliest);
            let now = c.now;
            let (due, left): (Vec<Pending>, Vec<Pending>) = c.pending.drain(..).partition(|p| p.deadline <= now);
            c.pending = left;
            Step::Fire(due.into_iter().map(|p| p.wake).collect())
        });
        match step {
            Step::Idle => crate::blocking::block(),
            Step::Wait => {
                ExecutionState::request_yield();
                switch();
            }
            Step::Fire(wakes) => {
                for wake in wakes {
                    match wake {
                        Wake::Unblock(task) => crate::blocking::unblock(task),
                        Wake::Notify(condvar) => condvar.notify_all(),
                    }
                }
            }
        }
    }
}

/// `std::thread::sleep` on the virtual clock.
pub fn sleep(d: Duration) {
    switch();
    ensure_timer();
    let Some(deadline) = now().checked_add(d) else {
        // Longer than the clock can count: for ever.
        loop {
            crate::blocking::block();
        }
    };
    while now() < deadline {
        let _pending = register(deadline, Wake::Unblock(ExecutionState::me()));
        crate::blocking::block();
    }
}

/// `std::thread::park_timeout` on the virtual clock: parks until unparked
/// or `d` has passed (or spuriously, as std allows).
pub fn park_timeout(d: Duration) {
    ensure_timer();
    match now().checked_add(d) {
        Some(deadline) => {
            let _pending = register(deadline, Wake::Unblock(ExecutionState::me()));
            shuttle::thread::park();
        }
        None => shuttle::thread::park(),
    }
}
