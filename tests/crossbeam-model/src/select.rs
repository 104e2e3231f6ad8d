//! `Select`, and the `select!` and `select_biased!` macros built on it.
//!
//! Selecting looks for ready operations; when several are ready, which one
//! goes is the scheduler's choice (recorded in the schedule, so a replay
//! picks the same), or the first for a biased selection. The chosen
//! operation is completed by `SelectedOperation::send`/`recv` with no
//! scheduling point in between, so it is still ready then.
//!
//! Unlike crossbeam, which tries the operations one after another, a
//! selection looks at all of them in one step: a window between two arms'
//! checks is not explored.

use crate::blocking::{choose, point};
use crate::channel::{Receiver, Sender, Side, Waitable, wait_until};
use crate::clock::{self, Instant};
use crossbeam_channel::{
    ReadyTimeoutError, RecvError, SelectTimeoutError, SendError, TryReadyError, TryRecvError, TrySelectError,
    TrySendError,
};
use std::fmt;
use std::time::Duration;

/// Waits on many channel operations at once.
pub struct Select<'a> {
    ops: Vec<Option<(&'a dyn Waitable, Side)>>,
    biased: bool,
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Select { .. }")
    }
}

impl<'a> Select<'a> {
    /// A selection that picks among ready operations as the scheduler chooses.
    pub fn new() -> Select<'a> {
        Select { ops: Vec::new(), biased: false }
    }

    /// A selection that picks the first ready operation, in the order added.
    pub fn new_biased() -> Select<'a> {
        Select { ops: Vec::new(), biased: true }
    }

    /// Adds a send operation; returns its index.
    pub fn send<T>(&mut self, s: &'a Sender<T>) -> usize {
        self.ops.push(Some((&*s.chan as &dyn Waitable, Side::Send)));
        self.ops.len() - 1
    }

    /// Adds a receive operation; returns its index.
    pub fn recv<T>(&mut self, r: &'a Receiver<T>) -> usize {
        self.ops.push(Some((&*r.chan as &dyn Waitable, Side::Recv)));
        self.ops.len() - 1
    }

    /// Removes the operation at `index`.
    pub fn remove(&mut self, index: usize) {
        assert!(self.ops.get(index).is_some_and(Option::is_some), "no operation with index {index}");
        self.ops[index] = None;
    }

    fn pick_ready(&self) -> Option<usize> {
        let ready: Vec<usize> =
            (0..self.ops.len()).filter(|&i| self.ops[i].is_some_and(|(op, side)| op.ready(side))).collect();
        match ready.len() {
            0 => None,
            _ if self.biased => Some(ready[0]),
            n => Some(ready[choose(n)]),
        }
    }

    fn wait(&self, deadline: Option<Duration>) -> Option<usize> {
        point();
        let ops: Vec<(&dyn Waitable, Side)> = self.ops.iter().flatten().copied().collect();
        wait_until(&ops, deadline, || self.pick_ready())
    }

    /// Selects an operation that is ready now, if any.
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        point();
        self.pick_ready().map(SelectedOperation::new).ok_or(TrySelectError)
    }

    /// Blocks until an operation is ready and selects it.
    pub fn select(&mut self) -> SelectedOperation<'a> {
        let index = self.wait(None).expect("no deadline");
        SelectedOperation::new(index)
    }

    /// Waits at most `timeout` for an operation to be ready.
    pub fn select_timeout(&mut self, timeout: Duration) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        let deadline = clock::now().checked_add(timeout);
        match deadline {
            Some(d) => self.wait(Some(d)).map(SelectedOperation::new).ok_or(SelectTimeoutError),
            None => Ok(self.select()),
        }
    }

    /// Waits until `deadline` at most for an operation to be ready.
    pub fn select_deadline(&mut self, deadline: Instant) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.wait(Some(deadline.since_start())).map(SelectedOperation::new).ok_or(SelectTimeoutError)
    }

    /// The index of an operation that is ready now, if any.
    pub fn try_ready(&mut self) -> Result<usize, TryReadyError> {
        point();
        self.pick_ready().ok_or(TryReadyError)
    }

    /// Blocks until an operation is ready; returns its index.
    pub fn ready(&mut self) -> usize {
        self.wait(None).expect("no deadline")
    }

    /// Waits at most `timeout` for an operation to be ready.
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, ReadyTimeoutError> {
        match clock::now().checked_add(timeout) {
            Some(d) => self.wait(Some(d)).ok_or(ReadyTimeoutError),
            None => Ok(self.ready()),
        }
    }

    /// Waits until `deadline` at most for an operation to be ready.
    pub fn ready_deadline(&mut self, deadline: Instant) -> Result<usize, ReadyTimeoutError> {
        self.wait(Some(deadline.since_start())).ok_or(ReadyTimeoutError)
    }
}

/// The operation a selection chose; complete it with `send` or `recv`.
#[must_use]
pub struct SelectedOperation<'a> {
    index: usize,
    _select: std::marker::PhantomData<&'a ()>,
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation").field("index", &self.index).finish()
    }
}

impl<'a> SelectedOperation<'a> {
    fn new(index: usize) -> Self {
        SelectedOperation { index, _select: std::marker::PhantomData }
    }

    /// The index of the chosen operation.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes the chosen send.
    pub fn send<T>(self, s: &Sender<T>, msg: T) -> Result<(), SendError<T>> {
        match s.put_now(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(m)) => Err(SendError(m)),
            // Filled again since it was selected (code ran in between):
            // wait for room as a plain send would.
            Err(TrySendError::Full(m)) => s.send(m),
        }
    }

    /// Completes the chosen receive.
    pub fn recv<T>(self, r: &Receiver<T>) -> Result<T, RecvError> {
        match r.take_now() {
            Ok(msg) => Ok(msg),
            Err(TryRecvError::Disconnected) => Err(RecvError),
            Err(TryRecvError::Empty) => r.recv(),
        }
    }
}

/// `crossbeam_channel::select!`: waits on several operations and runs the
/// arm of the one that goes; when several are ready, the scheduler chooses.
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__select_internal!(@start false; $($tokens)*)
    };
}

/// `crossbeam_channel::select_biased!`: as `select!`, but the first ready
/// arm, in the order written, goes.
#[macro_export]
macro_rules! select_biased {
    ($($tokens:tt)*) => {
        $crate::__select_internal!(@start true; $($tokens)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_internal {
    (@start $biased:literal; $($tokens:tt)*) => {
        $crate::__select_internal!(@arms ($biased, sel, oper, index) [] [] []; $($tokens)*)
    };

    // recv(r) -> pat => body
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        recv($r:expr) -> $p:pat => $body:block, $($rest:tt)*) => {
        $crate::__select_internal!(@recv $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($r) ($p) ($body); $($rest)*)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        recv($r:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select_internal!(@recv $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($r) ($p) ($body); $($rest)*)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        recv($r:expr) -> $p:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_internal!(@recv $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($r) ($p) ($body); $($rest)*)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        recv($r:expr) -> $p:pat => $body:expr) => {
        $crate::__select_internal!(@recv $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($r) ($p) ($body);)
    };

    // send(s, msg) -> pat => body
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        send($s:expr, $m:expr) -> $p:pat => $body:block, $($rest:tt)*) => {
        $crate::__select_internal!(@send $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($s) ($m) ($p) ($body); $($rest)*)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        send($s:expr, $m:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select_internal!(@send $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($s) ($m) ($p) ($body); $($rest)*)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        send($s:expr, $m:expr) -> $p:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_internal!(@send $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($s) ($m) ($p) ($body); $($rest)*)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*];
        send($s:expr, $m:expr) -> $p:pat => $body:expr) => {
        $crate::__select_internal!(@send $ids [$($setup)*] [$($dispatch)*] [$($default)*] ($s) ($m) ($p) ($body);)
    };

    // default => body, default(timeout) => body
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [];
        default => $body:block $(,)?) => {
        $crate::__select_internal!(@arms $ids [$($setup)*] [$($dispatch)*] [() $body];)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [];
        default => $body:expr $(,)?) => {
        $crate::__select_internal!(@arms $ids [$($setup)*] [$($dispatch)*] [() { $body }];)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [];
        default($t:expr) => $body:block $(,)?) => {
        $crate::__select_internal!(@arms $ids [$($setup)*] [$($dispatch)*] [($t) $body];)
    };
    (@arms $ids:tt [$($setup:tt)*] [$($dispatch:tt)*] [];
        default($t:expr) => $body:expr $(,)?) => {
        $crate::__select_internal!(@arms $ids [$($setup)*] [$($dispatch)*] [($t) { $body }];)
    };

    // One arm, normalised: what to set up, and how to run it if chosen.
    (@recv ($biased:literal, $sel:ident, $oper:ident, $index:ident) [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*]
        ($r:expr) ($p:pat) ($body:expr); $($rest:tt)*) => {
        $crate::__select_internal!(@arms ($biased, $sel, $oper, $index)
            [$($setup)* let chan: &$crate::Receiver<_> = &$r; let at = $sel.recv(chan);]
            [$($dispatch)* if $index == at { let $p = $oper.recv(chan); $body } else]
            [$($default)*]; $($rest)*)
    };
    (@send ($biased:literal, $sel:ident, $oper:ident, $index:ident) [$($setup:tt)*] [$($dispatch:tt)*] [$($default:tt)*]
        ($s:expr) ($m:expr) ($p:pat) ($body:expr); $($rest:tt)*) => {
        $crate::__select_internal!(@arms ($biased, $sel, $oper, $index)
            [$($setup)* let chan: &$crate::Sender<_> = &$s; let at = $sel.send(chan);]
            [$($dispatch)* if $index == at { let $p = $oper.send(chan, $m); $body } else]
            [$($default)*]; $($rest)*)
    };

    // Every arm read: build the selection and run it.
    (@arms ($biased:literal, $sel:ident, $oper:ident, $index:ident) [$($setup:tt)*] [$($dispatch:tt)*] [];) => {{
        let mut $sel = if $biased { $crate::Select::new_biased() } else { $crate::Select::new() };
        $($setup)*
        let $oper = $sel.select();
        let $index = $oper.index();
        $($dispatch)* { ::core::unreachable!("select! chose an operation it does not have") }
    }};
    (@arms ($biased:literal, $sel:ident, $oper:ident, $index:ident) [$($setup:tt)*] [$($dispatch:tt)*] [() $default:block];) => {{
        let mut $sel = if $biased { $crate::Select::new_biased() } else { $crate::Select::new() };
        $($setup)*
        match $sel.try_select() {
            ::core::result::Result::Ok($oper) => {
                let $index = $oper.index();
                $($dispatch)* { ::core::unreachable!("select! chose an operation it does not have") }
            }
            ::core::result::Result::Err(_) => $default,
        }
    }};
    (@arms ($biased:literal, $sel:ident, $oper:ident, $index:ident) [$($setup:tt)*] [$($dispatch:tt)*] [($t:expr) $default:block];) => {{
        let mut $sel = if $biased { $crate::Select::new_biased() } else { $crate::Select::new() };
        $($setup)*
        match $sel.select_timeout($t) {
            ::core::result::Result::Ok($oper) => {
                let $index = $oper.index();
                $($dispatch)* { ::core::unreachable!("select! chose an operation it does not have") }
            }
            ::core::result::Result::Err(_) => $default,
        }
    }};
}
