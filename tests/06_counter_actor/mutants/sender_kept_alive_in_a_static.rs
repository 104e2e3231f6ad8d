//! MUTANT: every request Sender is also kept in a static list "so the channel cannot close early", so no owner thread ever ends.
//! CATEGORY: leaked_thread

use std::sync::Mutex;
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

enum Msg {
    Inc,
    Get(Sender<usize>),
}

static KEEP_ALIVE: Mutex<Vec<Sender<Msg>>> = Mutex::new(Vec::new());

/// One owner thread holds the count; handles send it messages.
#[derive(Clone)]
pub struct CounterHandle {
    tx: Sender<Msg>,
}

impl CounterHandle {
    /// Adds one to the count.
    pub fn increment(&self) {
        self.tx.send(Msg::Inc).expect("owner gone");
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        let (tx, rx) = mpsc::channel();
        self.tx.send(Msg::Get(tx)).expect("owner gone");
        rx.recv().expect("no answer")
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let (tx, rx) = mpsc::channel();
    KEEP_ALIVE.lock().unwrap().push(tx.clone());
    let owner = thread::spawn(move || {
        let mut n = 0;
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Inc => n += 1,
                Msg::Get(reply) => {
                    let _ = reply.send(n);
                }
            }
        }
        n
    });
    (CounterHandle { tx }, owner)
}
