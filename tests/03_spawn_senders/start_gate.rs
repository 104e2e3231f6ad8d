//! Holding new threads at their very start, to choose the order they start in.
//!
//! The mistakes this exercise is about (a thread that looks its email up
//! through a shared index, a shared queue or a pointer into the caller's
//! `users`) all read *at the moment the thread starts running*. Whether that
//! shows depends on the scheduler: threads usually start in the order they
//! were spawned, and then a shared index happens to hand out the right
//! emails. A test that hopes for a bad interleaving is flaky by design.
//!
//! So the test binary takes the start of every thread into its own hands: it
//! defines `pthread_create` (the static linker binds std's call to this
//! definition before libc's), and while a [`StartGate`] is holding, each new
//! thread first waits at the gate, *before* any of the learner's code runs on
//! it. The test then releases the threads one by one, in an order it picks
//! (for instance the last user's thread first), or only after it has dropped
//! `users`. A correct solution gives the same results in any start order; the
//! mistakes show every time.
//!
//! Safety valves, so that an unusual but correct solution is never failed by
//! the gate itself:
//! * a held thread lets itself go after [`HOLD_LIMIT`] (a solution that waits
//!   inside `spawn_senders` for its threads to start is only slowed down);
//! * once that happens, or once a released thread did not call `send` in
//!   time (threads that wait for each other before sending), the gate is
//!   marked [`degraded`] and stops ordering starts for the rest of the
//!   process: results are still checked, only the forced order is lost.
//!
//! Linux with glibc only; elsewhere the gate is inert and the tests still
//! check results, without forcing an order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a held thread waits for the test before it lets itself go.
pub const HOLD_LIMIT: Duration = Duration::from_secs(2);

static HOLDING: AtomicBool = AtomicBool::new(false);
static DEGRADED: AtomicBool = AtomicBool::new(false);
static STATE: Mutex<GateState> =
    Mutex::new(GateState { created: Vec::new(), held: Vec::new(), released: Vec::new(), open: true });
static CHANGED: Condvar = Condvar::new();

struct GateState {
    /// `pthread_t` of every thread created while holding, in creation order.
    created: Vec<u64>,
    /// `pthread_self()` of every thread waiting at the gate now.
    held: Vec<u64>,
    /// Threads the test let go (possibly before they reached the gate).
    released: Vec<u64>,
    /// Everyone may pass.
    open: bool,
}

fn state() -> std::sync::MutexGuard<'static, GateState> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the gate could stop threads at all in this process (it can once
/// `pthread_create` resolved to libc's through this file).
pub fn available() -> bool {
    sys::available()
}

/// Whether ordering starts was given up (see the module documentation).
pub fn degraded() -> bool {
    DEGRADED.load(Ordering::SeqCst)
}

/// Gives up ordering starts for the rest of the process and lets everyone go.
pub fn degrade() {
    DEGRADED.store(true, Ordering::SeqCst);
    let mut s = state();
    s.open = true;
    CHANGED.notify_all();
}

/// While alive (and until [`stop_holding`](Self::stop_holding)), every
/// thread created in this process waits at its start until released.
/// Dropping it releases everyone.
pub struct StartGate {
    _private: (),
}

impl StartGate {
    /// Starts holding every new thread. Create no thread of the test's own
    /// while holding (it would be held too).
    pub fn hold_new_threads() -> StartGate {
        {
            let mut s = state();
            s.created.clear();
            s.held.clear();
            s.released.clear();
            s.open = degraded() || !available();
        }
        HOLDING.store(true, Ordering::SeqCst);
        StartGate { _private: () }
    }

    /// Threads created from now on start freely; held ones stay held.
    pub fn stop_holding(&self) {
        HOLDING.store(false, Ordering::SeqCst);
    }

    /// Lets one thread (by its `pthread_t`) start, now or when it arrives.
    pub fn release(&self, thread: u64) {
        let mut s = state();
        s.released.push(thread);
        CHANGED.notify_all();
    }

    /// Lets every thread start, held or still to come.
    pub fn release_all(&self) {
        let mut s = state();
        s.open = true;
        CHANGED.notify_all();
    }

    /// Where `thread` came among the threads created while holding.
    pub fn creation_index(&self, thread: u64) -> Option<usize> {
        state().created.iter().position(|&t| t == thread)
    }

    /// Whether the gate is really ordering starts right now.
    pub fn is_ordering(&self) -> bool {
        !degraded() && !state().open
    }
}

impl Drop for StartGate {
    fn drop(&mut self) {
        HOLDING.store(false, Ordering::SeqCst);
        self.release_all();
    }
}

/// Records the order threads were created in while holding.
#[allow(dead_code)]
fn note_created(thread: u64) {
    state().created.push(thread);
}

/// Runs on a new thread before its real start routine, while holding.
#[allow(dead_code)]
fn wait_at_gate(me: u64) {
    let deadline = Instant::now() + HOLD_LIMIT;
    let mut s = state();
    s.held.push(me);
    while !s.open && !s.released.contains(&me) {
        let now = Instant::now();
        if now >= deadline {
            // Nobody released this thread: the solution is probably waiting
            // for it inside `spawn_senders`. Step aside for good.
            drop(s);
            degrade();
            s = state();
            break;
        }
        s = CHANGED.wait_timeout(s, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
    }
    s.held.retain(|&t| t != me);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod sys {
    use super::{HOLDING, wait_at_gate};
    use std::ffi::{c_char, c_int, c_void};
    use std::sync::atomic::{AtomicUsize, Ordering};

    type StartRoutine = extern "C" fn(*mut c_void) -> *mut c_void;
    type CreateFn = unsafe extern "C" fn(*mut u64, *const c_void, StartRoutine, *mut c_void) -> c_int;

    unsafe extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
        fn pthread_self() -> u64;
    }
    /// glibc's `RTLD_NEXT`: the next definition after this object's.
    const RTLD_NEXT: *mut c_void = -1isize as *mut c_void;

    static REAL: AtomicUsize = AtomicUsize::new(0);

    fn real() -> Option<CreateFn> {
        let mut f = REAL.load(Ordering::SeqCst);
        if f == 0 {
            // SAFETY: dlsym with a valid C string; it returns null or the address of libc's function.
            f = unsafe { dlsym(RTLD_NEXT, c"pthread_create".as_ptr()) } as usize;
            REAL.store(f, Ordering::SeqCst);
        }
        // SAFETY: a non-null result is libc's pthread_create, whose signature this is.
        (f != 0).then(|| unsafe { std::mem::transmute::<usize, CreateFn>(f) })
    }

    pub fn available() -> bool {
        real().is_some()
    }

    struct Trampoline {
        start: StartRoutine,
        arg: *mut c_void,
    }

    extern "C" fn gated_start(p: *mut c_void) -> *mut c_void {
        // SAFETY: `p` is the Box made in `pthread_create` below, handed over once.
        let t = unsafe { Box::from_raw(p as *mut Trampoline) };
        // SAFETY: pthread_self has no preconditions. Nothing here may touch
        // std's notion of the current thread: std has not set it up yet.
        wait_at_gate(unsafe { pthread_self() });
        (t.start)(t.arg)
    }

    /// Every thread of the test binary is created through here (std calls
    /// `pthread_create` by name). Outside a hold it is libc's, untouched.
    ///
    /// # Safety
    /// The contract of POSIX `pthread_create`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn pthread_create(
        thread: *mut u64,
        attr: *const c_void,
        start: StartRoutine,
        arg: *mut c_void,
    ) -> c_int {
        let Some(real) = real() else {
            return 11; /* EAGAIN */
        };
        if !HOLDING.load(Ordering::SeqCst) {
            // SAFETY: forwarded unchanged.
            return unsafe { real(thread, attr, start, arg) };
        }
        let t = Box::into_raw(Box::new(Trampoline { start, arg }));
        // SAFETY: forwarded, with our start routine wrapping the caller's.
        let rc = unsafe { real(thread, attr, gated_start, t as *mut c_void) };
        if rc != 0 {
            // SAFETY: the thread was not created, so the Box is still ours.
            drop(unsafe { Box::from_raw(t) });
        } else {
            // SAFETY: on success pthread_create wrote the new thread's id there.
            let id = unsafe { *thread };
            super::note_created(id);
        }
        rc
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod sys {
    pub fn available() -> bool {
        false
    }
}
