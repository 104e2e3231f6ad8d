//! The kit every hidden test is written with.
//!
//! * [`harness`]: a tiny test harness (the hidden test binaries use
//!   `harness = false`). It lists tests, runs exactly one test per process when
//!   `cargo xtask check` asks, and reports the outcome through a result file that
//!   only a test body that returned can write. That is how the runner tells
//!   a pass from a learner's `std::process::exit(0)`.
//! * [`probe`]: ways to observe concurrency without wall-clock ratios: a
//!   rendezvous that proves calls overlap, a thread census that proves nothing
//!   leaked, process CPU time that proves a wait does not spin, and deadlines
//!   so that a broken implementation fails with an explanation instead of
//!   hanging.
//! * [`threads`]: one thread at a time: whether it is asleep (blocked) now,
//!   its CPU time, pinning it to a CPU, and the spin detector
//!   [`threads::measure_waiting_cpu`], which brings its own yardstick.
//! * [`category`]: what a test's failure means (`failing_means(Category::
//!   LostUpdate)`), from the fixed list `tests/categories.toml` explains.
//! * [`property`]: proptest with a fixed seed, so that a suite gives the same
//!   verdict every time, and a failure names the shrunk input.
//!
//! A hidden test file looks like this:
//!
//! ```ignore
//! use testkit::prelude::*;
//!
//! hidden_tests! {
//!     fn adds_one() {
//!         let c = counter::Counter::new();
//!         c.increment();
//!         assert_eq!(c.value(), 1, "one increment must show as 1");
//!     }
//! }
//! ```
//!
//! and the test crate's `main.rs` lists the groups:
//! `fn main() { testkit::main(&[contract::TESTS, stress::TESTS]) }`.
#![warn(missing_docs)]

pub mod category;
#[cfg(feature = "explore")]
pub mod explore;
pub mod harness;
pub mod probe;
pub mod property;
pub mod threads;

pub use harness::{HiddenTest, main};

/// What a hidden test file usually needs.
pub mod prelude {
    pub use crate::category::{Category, failing_means};
    pub use crate::hidden_tests;
    pub use crate::probe::{
        self, CpuMeter, GENEROUS, Gauge, Rendezvous, eventually, thread_count, wait_for_thread_count, within,
    };
    pub use crate::property::check_property;
    pub use crate::threads::{self, current_tid, measure_waiting_cpu, panic_message, thread_state};
    pub use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    pub use std::sync::{Arc, Barrier, Mutex};
    pub use std::thread;
    pub use std::time::{Duration, Instant};
}

/// Declares hidden tests and a `TESTS` list naming them, for `testkit::main`.
///
/// Each test is an ordinary `fn name() { ... }` whose panic is a failure; the
/// panic message is what the learner reads, so it should explain the concept,
/// not just the numbers.
#[macro_export]
macro_rules! hidden_tests {
    ($( $(#[$attr:meta])* fn $name:ident() $body:block )*) => {
        $( $(#[$attr])* pub fn $name() $body )*

        /// The tests declared in this module, in source order.
        pub const TESTS: &[$crate::HiddenTest] = &[
            $( $crate::HiddenTest { name: stringify!($name), run: $name }, )*
        ];
    };
}
