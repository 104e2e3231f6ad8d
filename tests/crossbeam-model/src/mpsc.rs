//! `std::sync::mpsc` for the exploration build, on this crate's channels,
//! so that its timeouts, like crossbeam's, fire on the virtual clock
//! (shuttle's own `mpsc` never times out), with std's error types.

pub use crate::channel::{IntoIter, Iter, TryIter};
use std::fmt;
pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};
use std::time::Duration;

/// `std::sync::mpsc::channel`: unbounded.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = crate::unbounded();
    (Sender(tx), Receiver(rx))
}

/// `std::sync::mpsc::sync_channel`: bounded (0 is a rendezvous).
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let (tx, rx) = crate::bounded(bound);
    (SyncSender(tx), Receiver(rx))
}

/// The sending half of [`channel`].
pub struct Sender<T>(crate::Sender<T>);

impl<T> Sender<T> {
    /// Sends; fails only when the receiver is gone.
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.0.send(t).map_err(|e| SendError(e.into_inner()))
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender(self.0.clone())
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

/// The sending half of [`sync_channel`].
pub struct SyncSender<T>(crate::Sender<T>);

impl<T> SyncSender<T> {
    /// Sends, blocking while the channel is full.
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.0.send(t).map_err(|e| SendError(e.into_inner()))
    }

    /// Sends without blocking.
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.0.try_send(t).map_err(|e| match e {
            crossbeam_channel::TrySendError::Full(t) => TrySendError::Full(t),
            crossbeam_channel::TrySendError::Disconnected(t) => TrySendError::Disconnected(t),
        })
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        SyncSender(self.0.clone())
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("SyncSender { .. }")
    }
}

/// The receiving half of either channel.
pub struct Receiver<T>(crate::Receiver<T>);

impl<T> Receiver<T> {
    /// Receives, blocking while the channel is empty.
    pub fn recv(&self) -> Result<T, RecvError> {
        self.0.recv().map_err(|_| RecvError)
    }

    /// Receives without blocking.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.0.try_recv().map_err(|e| match e {
            crossbeam_channel::TryRecvError::Empty => TryRecvError::Empty,
            crossbeam_channel::TryRecvError::Disconnected => TryRecvError::Disconnected,
        })
    }

    /// Receives, waiting at most `timeout` on the virtual clock.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.0.recv_timeout(timeout).map_err(|e| match e {
            crossbeam_channel::RecvTimeoutError::Timeout => RecvTimeoutError::Timeout,
            crossbeam_channel::RecvTimeoutError::Disconnected => RecvTimeoutError::Disconnected,
        })
    }

    /// A blocking iterator: ends when every sender is gone.
    pub fn iter(&self) -> Iter<'_, T> {
        self.0.iter()
    }

    /// A non-blocking iterator.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        self.0.try_iter()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.0.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        self.0.into_iter()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}
