//! Blocking and waking shuttle threads directly, as shuttle's own
//! primitives do, so that a wait in the model is one scheduling decision
//! and not a lock, a condvar and a lock again.

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::task::TaskId;
use shuttle_engine::runtime::thread::switch;

/// Blocks the current thread until something unblocks it.
pub(crate) fn block() {
    ExecutionState::with(|s| s.current_mut().block(false));
    switch();
}

/// Makes `task` runnable again, if it still exists and has not finished.
/// Outside an execution, or while it tears down, there is nobody to wake.
pub(crate) fn unblock(task: TaskId) {
    let _ = ExecutionState::try_with(|s| {
        if let Some(t) = s.try_get_mut(task)
            && !t.finished()
        {
            t.unblock();
        }
    });
}

/// The current shuttle thread.
pub(crate) fn me() -> TaskId {
    ExecutionState::me()
}

/// Wakes every thread in `waiters` (each re-checks what it waits for).
pub(crate) fn wake_all(waiters: &mut Vec<TaskId>) {
    for task in waiters.drain(..) {
        unblock(task);
    }
}

/// A scheduling point before an operation other threads can see.
pub(crate) fn point() {
    switch();
}

/// A choice among `n` ready operations, made by the scheduler (recorded in
/// the schedule, so a replay makes it again).
pub(crate) fn choose(n: usize) -> usize {
    if n <= 1 { 0 } else { (ExecutionState::next_u64() % n as u64) as usize }
}
