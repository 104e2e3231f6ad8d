//! Hidden tests for exercise 05 `atomic_counter`. The rule of construction
//! (no lock, no channel) is not here: `cargo xtask check` reads it from
//! `exercises/info.toml` and checks the learner's source as `rule_no_locks`.
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, stress::TESTS, property::TESTS])
}
