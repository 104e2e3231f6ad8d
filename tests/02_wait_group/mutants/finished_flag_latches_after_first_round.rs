//! MUTANT: a `finished` flag is set when the counter first reaches zero and never cleared, so after the first round `wait` returns at once even while new work is pending (the group is not reusable).
//! CATEGORY: wrong_result
use std::sync::{Condvar, Mutex};

#[derive(Default)]
struct State {
    count: usize,
    finished: bool,
}

/// Go's sync.WaitGroup. Send + Sync + Default.
#[derive(Default)]
pub struct WaitGroup {
    state: Mutex<State>,
    zero: Condvar,
}

impl WaitGroup {
    /// A group with nothing to wait for.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the counter.
    pub fn add(&self, n: usize) {
        self.state.lock().unwrap().count += n;
    }

    /// Subtracts one. Panics with a message containing
    /// "negative WaitGroup counter" if the counter is already zero.
    pub fn done(&self) {
        let mut state = self.state.lock().unwrap();
        if state.count == 0 {
            drop(state);
            panic!("negative WaitGroup counter");
        }
        state.count -= 1;
        if state.count == 0 {
            state.finished = true;
            self.zero.notify_all();
        }
    }

    /// Blocks, without spinning, until the counter is zero; returns at once
    /// if it is zero. Any number of threads may wait at the same time, and
    /// the group can be used again once it has reached zero.
    pub fn wait(&self) {
        let mut state = self.state.lock().unwrap();
        if state.count == 0 {
            return;
        }
        while !state.finished {
            state = self.zero.wait(state).unwrap();
        }
    }
}
