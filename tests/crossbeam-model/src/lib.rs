//! A model of [crossbeam-channel] 0.5 on [shuttle]'s scheduler, and the
//! virtual clock the schedule-exploration tier runs on.
//!
//! In the exploration build (see `xtask/src/engine/explore.rs`), this crate
//! is the dependency named `crossbeam-channel`, for the learner's code and
//! the tier's tests alike, so `use crossbeam_channel::{bounded, select}`
//! compiles unchanged and every send, receive and selection is a point
//! where shuttle may switch threads, every wait is one shuttle sees, and a
//! thread blocked on a channel for ever is a deadlock shuttle reports.
//!
//! The API is crossbeam-channel's: [`bounded`] (0 included), [`unbounded`],
//! [`after`], [`at`], [`tick`], [`never`]; [`Sender`] and [`Receiver`],
//! cloneable, each side disconnecting when its last handle drops, with
//! every send and receive method; [`Select`], [`select!`] and
//! [`select_biased!`] (with `default` arms). The error types are the real
//! crate's, re-exported, so a learner's `match` on them is the same.
//! Where a selection has several ready operations, the scheduler chooses
//! (see `select.rs`); the limits of the zero-capacity model are in
//! `channel.rs`, and the clock's semantics in [`time`].
//!
//! No crate offers this: shuttle 0.9 has `std::sync::mpsc` only, without
//! select, and its timeouts never fire.
//!
//! [crossbeam-channel]: https://docs.rs/crossbeam-channel/0.5
//! [shuttle]: https://docs.rs/shuttle

mod blocking;
mod channel;
mod clock;
mod condvar;
mod mpsc;
mod select;

pub use channel::{IntoIter, Iter, Receiver, Sender, TryIter, after, at, bounded, never, tick, unbounded};
pub use crossbeam_channel::{
    ReadyTimeoutError, RecvError, RecvTimeoutError, SelectTimeoutError, SendError, SendTimeoutError, TryReadyError,
    TryRecvError, TrySelectError, TrySendError,
};
pub use select::{Select, SelectedOperation};

/// The virtual clock (see the semantics in `clock.rs`): time moves only
/// when no thread can run, to the earliest pending deadline.
pub mod time {
    pub use crate::clock::{Instant, park_timeout, sleep};
}

/// What the exploration build's `std` facade takes from here: the virtual
/// clock's `Instant`, `sleep` and `park_timeout`, a `Condvar` whose timed
/// waits time out on it, and `std::sync::mpsc` on this crate's channels.
#[doc(hidden)]
pub mod __threadwork {
    pub use crate::clock::{Instant, park_timeout, sleep};
    pub use crate::condvar::{Condvar, WaitTimeoutResult};
    pub mod mpsc {
        pub use crate::mpsc::*;
    }
}
