//! MUTANT: a hand-rolled queue (Mutex + Condvar) whose handles count themselves in an atomic; the last Drop notifies without taking the queue's lock, so the notification can fall between the owner's check of the count and its wait.
//! CATEGORY: leaked_thread

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

enum Request {
    Increment,
    // A one-shot answer slot: the owner fills it and notifies.
    Value(Arc<(Mutex<Option<usize>>, Condvar)>),
}

struct Shared {
    queue: Mutex<VecDeque<Request>>,
    arrived: Condvar,
    // How many handles exist. An atomic, so that clone() and drop() need
    // no lock.
    handles: AtomicUsize,
}

/// One owner thread holds the count; handles send it messages.
pub struct CounterHandle {
    shared: Arc<Shared>,
}

impl Clone for CounterHandle {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::SeqCst);
        CounterHandle { shared: self.shared.clone() }
    }
}

impl Drop for CounterHandle {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last handle: wake the owner so that it sees there are none.
            self.shared.arrived.notify_all();
        }
    }
}

impl CounterHandle {
    fn send(&self, request: Request) {
        self.shared.queue.lock().unwrap().push_back(request);
        self.shared.arrived.notify_all();
    }

    /// Adds one to the count.
    pub fn increment(&self) {
        self.send(Request::Increment);
    }

    /// The count, which includes every increment this handle made before.
    pub fn value(&self) -> usize {
        let slot = Arc::new((Mutex::new(None), Condvar::new()));
        self.send(Request::Value(slot.clone()));
        let (answer, answered) = &*slot;
        let mut answer = answer.lock().unwrap();
        loop {
            if let Some(v) = *answer {
                return v;
            }
            answer = answered.wait(answer).unwrap();
        }
    }
}

/// Starts the owner thread. It ends, returning the final count, once every
/// handle has been dropped.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<usize>) {
    let shared =
        Arc::new(Shared { queue: Mutex::new(VecDeque::new()), arrived: Condvar::new(), handles: AtomicUsize::new(1) });
    let mine = shared.clone();
    let owner = thread::spawn(move || own_the_count(&mine));
    (CounterHandle { shared }, owner)
}

fn own_the_count(shared: &Shared) -> usize {
    let mut count = 0;
    loop {
        let request = {
            let mut queue = shared.queue.lock().unwrap();
            loop {
                if let Some(request) = queue.pop_front() {
                    break request;
                }
                if shared.handles.load(Ordering::SeqCst) == 0 {
                    return count;
                }
                queue = shared.arrived.wait(queue).unwrap();
            }
        };
        match request {
            Request::Increment => count += 1,
            Request::Value(slot) => {
                *slot.0.lock().unwrap() = Some(count);
                slot.1.notify_all();
            }
        }
    }
}
