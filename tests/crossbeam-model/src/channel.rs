//! Channels: one type for every flavour crossbeam has (unbounded, bounded,
//! zero-capacity, and the timer channels of `after`, `at`, `tick` and
//! `never`), behind one lock that is never held across a scheduling point.
//!
//! A thread that must wait registers on the channels it waits for and
//! blocks; any change to a channel (a message in or out, an end dropped, a
//! receiver starting to wait) wakes every thread registered on it, and each
//! re-checks. That is how `select!` waits on many channels at once.
//!
//! A zero-capacity channel hands a message over only when the other side
//! is there: a sender that finds a receiver waiting leaves the message for
//! it, and a sender that finds none offers the message and waits until a
//! receiver takes it (or its timeout, or the last receiver going, withdraws
//! it). Unlike crossbeam, a receiver waiting in `select!` that then takes
//! another arm leaves the message handed to it in the channel for the next
//! receive, and two `select!`s, one sending and one receiving on the same
//! zero-capacity channel, do not pair up with each other.

use crate::blocking::{block, me, point, wake_all};
use crate::clock::{self, Instant, Wake};
use crossbeam_channel::{RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
use shuttle_engine::runtime::task::TaskId;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Which end of a channel an operation uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Side {
    Send,
    Recv,
}

/// What makes the messages of a timer channel.
struct Timer<T> {
    /// When the next message is due; `None`: never again.
    next: Option<Duration>,
    /// `tick`'s period; `None` for `after`, `at` and `never`.
    period: Option<Duration>,
    make: fn(Duration) -> T,
}

struct State<T> {
    queue: VecDeque<T>,
    /// `None`: unbounded.
    cap: Option<usize>,
    senders: usize,
    receivers: usize,
    /// Threads blocked until this channel changes, and the side each waits
    /// on (a thread may wait on both, in a `select!`).
    waiters: Vec<(TaskId, Side)>,
    /// How many of them wait to receive (zero capacity only).
    waiting_receivers: usize,
    /// Messages of blocked senders on a zero-capacity channel, by offer.
    offers: VecDeque<(u64, T)>,
    next_offer: u64,
    timer: Option<Timer<T>>,
}

pub(crate) struct Chan<T> {
    state: Mutex<State<T>>,
}

impl<T> Chan<T> {
    fn new(cap: Option<usize>, timer: Option<Timer<T>>) -> Arc<Self> {
        Arc::new(Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                cap,
                // A timer channel has no `Sender`, and never disconnects.
                senders: 1,
                receivers: 1,
                waiters: Vec::new(),
                waiting_receivers: 0,
                offers: VecDeque::new(),
                next_offer: 0,
                timer,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a message if one is there, without a scheduling point.
    fn try_take(&self) -> Result<T, TryRecvError> {
        let mut s = self.lock();
        let now = clock::now();
        let taken = match s.queue.pop_front() {
            Some(msg) => Some(msg),
            None => s.offers.pop_front().map(|(_, msg)| msg),
        };
        if let Some(msg) = taken {
            wake_waiters(&mut s.waiters);
            return Ok(msg);
        }
        if let Some(timer) = &mut s.timer {
            return match timer.next {
                Some(due) if due <= now => {
                    timer.next = timer.period.map(|p| now.max(due) + p);
                    Ok((timer.make)(due))
                }
                _ => Err(TryRecvError::Empty),
            };
        }
        if s.senders == 0 { Err(TryRecvError::Disconnected) } else { Err(TryRecvError::Empty) }
    }

    /// Puts a message in if there is room, without a scheduling point.
    fn try_put(&self, msg: T) -> Result<(), TrySendError<T>> {
        let mut s = self.lock();
        if s.receivers == 0 {
            return Err(TrySendError::Disconnected(msg));
        }
        let room = match s.cap {
            None => true,
            Some(0) => s.waiting_receivers > s.queue.len(),
            Some(cap) => s.queue.len() < cap,
        };
        if !room {
            return Err(TrySendError::Full(msg));
        }
        s.queue.push_back(msg);
        wake_waiters(&mut s.waiters);
        Ok(())
    }

    fn len(&self) -> usize {
        let s = self.lock();
        if s.cap == Some(0) { 0 } else { s.queue.len() }
    }
}

/// A scheduling point before a handle drops, since the last one's going
/// is something the other side sees (a disconnect). None while a panic
/// unwinds or after the execution stopped, where a thread cannot switch.
fn disconnect_point() {
    if !std::thread::panicking() {
        shuttle_engine::runtime::thread::switch_if_not_stopping();
    }
}

/// Wakes every thread waiting on a channel: each re-checks.
fn wake_waiters(waiters: &mut Vec<(TaskId, Side)>) {
    let mut tasks: Vec<TaskId> = waiters.drain(..).map(|(task, _)| task).collect();
    wake_all(&mut tasks);
}

/// What `select!` and the blocking operations need of a channel, whatever
/// its message type.
pub(crate) trait Waitable {
    /// Whether an operation on `side` would complete now (with a message,
    /// with room, or with an error because the other side is gone).
    fn ready(&self, side: Side) -> bool;
    fn register(&self, me: TaskId, side: Side);
    fn unregister(&self, me: TaskId, side: Side);
    /// When a timer channel's next message is due.
    fn next_due(&self) -> Option<Duration>;
}

impl<T> Waitable for Chan<T> {
    fn ready(&self, side: Side) -> bool {
        let s = self.lock();
        match side {
            Side::Recv => {
                !s.queue.is_empty()
                    || !s.offers.is_empty()
                    || match &s.timer {
                        Some(timer) => timer.next.is_some_and(|due| due <= clock::now()),
                        None => s.senders == 0,
                    }
            }
            Side::Send => {
                s.receivers == 0
                    || match s.cap {
                        None => true,
                        Some(0) => s.waiting_receivers > s.queue.len(),
                        Some(cap) => s.queue.len() < cap,
                    }
            }
        }
    }

    fn register(&self, me: TaskId, side: Side) {
        let mut s = self.lock();
        if side == Side::Recv && s.cap == Some(0) {
            // A receiver arriving is news to a sender waiting for one (and
            // to no other receiver: two would wake each other for ever).
            s.waiting_receivers += 1;
            let mut senders = Vec::new();
            s.waiters.retain(|&(task, side)| {
                if side == Side::Send {
                    senders.push(task);
                }
                side != Side::Send
            });
            wake_all(&mut senders);
        }
        s.waiters.push((me, side));
    }

    fn unregister(&self, me: TaskId, side: Side) {
        let mut s = self.lock();
        s.waiters.retain(|&(t, _)| t != me);
        if side == Side::Recv && s.cap == Some(0) {
            s.waiting_receivers -= 1;
        }
    }

    fn next_due(&self) -> Option<Duration> {
        self.lock().timer.as_ref().and_then(|t| t.next)
    }
}

/// Waits until `attempt` gives a result, blocking on `ops` between tries,
/// or until `deadline` (virtual) passes: `None` then.
pub(crate) fn wait_until<R>(
    ops: &[(&dyn Waitable, Side)],
    deadline: Option<Duration>,
    mut attempt: impl FnMut() -> Option<R>,
) -> Option<R> {
    if deadline.is_some() || ops.iter().any(|(op, _)| op.next_due().is_some()) {
        // Started now, since starting it is a scheduling point, and there
        // must be none between registering and blocking.
        clock::ensure_timer();
    }
    loop {
        if let Some(done) = attempt() {
            return Some(done);
        }
        if deadline.is_some_and(|d| clock::now() >= d) {
            return None;
        }
        let me = me();
        for (op, side) in ops {
            op.register(me, *side);
        }
        let wake_at = ops.iter().filter_map(|(op, _)| op.next_due()).chain(deadline).min();
        let pending = wake_at.map(|d| clock::register(d, Wake::Unblock(me)));
        block();
        drop(pending);
        for (op, side) in ops {
            op.unregister(me, *side);
        }
    }
}

fn deadline_after(d: Duration) -> Option<Duration> {
    clock::now().checked_add(d)
}

/// Creates a channel of unbounded capacity.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let chan = Chan::new(None, None);
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// Creates a channel of bounded capacity; 0 makes a rendezvous channel.
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Chan::new(Some(cap), None);
    (Sender { chan: chan.clone() }, Receiver { chan })
}

fn timer_channel(next: Option<Duration>, period: Option<Duration>) -> Receiver<Instant> {
    Receiver { chan: Chan::new(Some(1), Some(Timer { next, period, make: Instant::at })) }
}

/// A receiver that delivers one message, the virtual time it was due,
/// after `duration`.
pub fn after(duration: Duration) -> Receiver<Instant> {
    timer_channel(deadline_after(duration), None)
}

/// A receiver that delivers one message at `when`.
pub fn at(when: Instant) -> Receiver<Instant> {
    timer_channel(Some(when.since_start()), None)
}

/// A receiver that never delivers a message and never disconnects.
pub fn never<T>() -> Receiver<T> {
    fn unreachable<T>(_: Duration) -> T {
        unreachable!("`never` makes no message")
    }
    Receiver { chan: Chan::new(Some(0), Some(Timer { next: None, period: None, make: unreachable::<T> })) }
}

/// A receiver that delivers a message every `duration`.
pub fn tick(duration: Duration) -> Receiver<Instant> {
    timer_channel(deadline_after(duration), Some(duration))
}

/// The sending side of a channel.
pub struct Sender<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Attempts to send without blocking.
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        point();
        self.chan.try_put(msg)
    }

    /// Sends, blocking while the channel is full.
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        point();
        self.send_until(msg, None).map_err(|e| match e {
            SendTimeoutError::Disconnected(m) | SendTimeoutError::Timeout(m) => SendError(m),
        })
    }

    /// Sends, waiting at most `timeout` for room.
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        point();
        match deadline_after(timeout) {
            Some(deadline) => self.send_until(msg, Some(deadline)),
            None => self.send_until(msg, None),
        }
    }

    /// Sends, waiting until `deadline` at most for room.
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        point();
        self.send_until(msg, Some(deadline.since_start()))
    }

    fn send_until(&self, msg: T, deadline: Option<Duration>) -> Result<(), SendTimeoutError<T>> {
        if self.chan.lock().cap == Some(0) {
            return match self.chan.try_put(msg) {
                Ok(()) => Ok(()),
                Err(TrySendError::Disconnected(m)) => Err(SendTimeoutError::Disconnected(m)),
                // No receiver is waiting: offer the message until one takes it.
                Err(TrySendError::Full(m)) => self.offer(m, deadline),
            };
        }
        let mut msg = Some(msg);
        let done = wait_until(&[(&*self.chan as &dyn Waitable, Side::Send)], deadline, || {
            match self.chan.try_put(msg.take().expect("a message to send")) {
                Ok(()) => Some(Ok(())),
                Err(TrySendError::Disconnected(m)) => Some(Err(SendTimeoutError::Disconnected(m))),
                Err(TrySendError::Full(m)) => {
                    msg = Some(m);
                    None
                }
            }
        });
        done.unwrap_or_else(|| Err(SendTimeoutError::Timeout(msg.expect("not sent"))))
    }

    /// A zero-capacity send that found no receiver waiting.
    fn offer(&self, msg: T, deadline: Option<Duration>) -> Result<(), SendTimeoutError<T>> {
        let id = {
            let mut s = self.chan.lock();
            let id = s.next_offer;
            s.next_offer += 1;
            s.offers.push_back((id, msg));
            wake_waiters(&mut s.waiters);
            id
        };
        let withdraw = |s: &mut State<T>| {
            let at = s.offers.iter().position(|(o, _)| *o == id)?;
            s.offers.remove(at).map(|(_, m)| m)
        };
        let taken = wait_until(&[(&*self.chan as &dyn Waitable, Side::Send)], deadline, || {
            let mut s = self.chan.lock();
            if !s.offers.iter().any(|(o, _)| *o == id) {
                return Some(Ok(()));
            }
            if s.receivers == 0 {
                return Some(Err(SendTimeoutError::Disconnected(withdraw(&mut s).expect("still offered"))));
            }
            None
        });
        match taken {
            Some(result) => result,
            None => match withdraw(&mut self.chan.lock()) {
                Some(m) => Err(SendTimeoutError::Timeout(m)),
                // Taken in the same instant it timed out: it was sent.
                None => Ok(()),
            },
        }
    }

    /// Whether the channel holds no message.
    pub fn is_empty(&self) -> bool {
        point();
        self.chan.len() == 0
    }

    /// Whether the channel is full (a zero-capacity one always is).
    pub fn is_full(&self) -> bool {
        point();
        let s = self.chan.lock();
        s.cap.is_some_and(|cap| s.queue.len() >= cap)
    }

    /// How many messages the channel holds.
    pub fn len(&self) -> usize {
        point();
        self.chan.len()
    }

    /// The channel's capacity; `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.lock().cap
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.lock().senders += 1;
        Sender { chan: self.chan.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        disconnect_point();
        let mut s = self.chan.lock();
        s.senders -= 1;
        if s.senders == 0 {
            wake_waiters(&mut s.waiters);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

/// The receiving side of a channel.
pub struct Receiver<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Attempts to receive without blocking.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        point();
        self.chan.try_take()
    }

    /// Receives, blocking while the channel is empty.
    pub fn recv(&self) -> Result<T, RecvError> {
        point();
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Receives, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        point();
        self.recv_until(deadline_after(timeout))
    }

    /// Receives, waiting until `deadline` at most.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        point();
        self.recv_until(Some(deadline.since_start()))
    }

    pub(crate) fn recv_until(&self, deadline: Option<Duration>) -> Result<T, RecvTimeoutError> {
        let done = wait_until(&[(&*self.chan as &dyn Waitable, Side::Recv)], deadline, || match self.chan.try_take() {
            Ok(msg) => Some(Ok(msg)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvTimeoutError::Disconnected)),
            Err(TryRecvError::Empty) => None,
        });
        done.unwrap_or(Err(RecvTimeoutError::Timeout))
    }

    pub(crate) fn take_now(&self) -> Result<T, TryRecvError> {
        self.chan.try_take()
    }

    /// Whether the channel holds no message.
    pub fn is_empty(&self) -> bool {
        point();
        self.chan.len() == 0
    }

    /// Whether the channel is full (a zero-capacity one always is).
    pub fn is_full(&self) -> bool {
        point();
        let s = self.chan.lock();
        s.cap.is_some_and(|cap| s.queue.len() >= cap)
    }

    /// How many messages the channel holds.
    pub fn len(&self) -> usize {
        point();
        self.chan.len()
    }

    /// The channel's capacity; `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.lock().cap
    }

    /// A blocking iterator: ends when the channel is empty and disconnected.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { receiver: self }
    }

    /// A non-blocking iterator: ends at the first moment the channel is empty.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { receiver: self }
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Sender<T> {
    pub(crate) fn put_now(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.chan.try_put(msg)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.lock().receivers += 1;
        Receiver { chan: self.chan.clone() }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        disconnect_point();
        let mut s = self.chan.lock();
        s.receivers -= 1;
        if s.receivers == 0 {
            wake_waiters(&mut s.waiters);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

/// A blocking iterator over a receiver's messages.
#[derive(Debug)]
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

/// A non-blocking iterator over a receiver's messages.
#[derive(Debug)]
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

/// A blocking iterator that owns its receiver.
#[derive(Debug)]
pub struct IntoIter<T> {
    receiver: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { receiver: self }
    }
}
