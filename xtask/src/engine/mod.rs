//! The engine: everything that judges code, and nothing that knows which
//! command asked. Commands (`check`, `grade`, `verify`, `bench`, ...) hand
//! it sources and a plan, and only report what it returns.
//!
//! Architecture invariant (checked by `xtask/tests/invariants.rs`): no file
//! under `engine/` names a command module.

pub mod capture;
pub mod category;
pub mod compile;
pub mod confirm;
pub mod course;
pub mod explore;
pub mod filelock;
pub mod judge;
pub mod learner_code;
pub mod outcome;
pub mod process;
pub mod reach;
pub mod rules;
pub mod runner;
pub mod sandbox;
pub mod stacks;
pub mod supervise;
