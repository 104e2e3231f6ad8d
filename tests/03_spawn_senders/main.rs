//! Hidden tests for exercise 03 `spawn_senders`.
mod contract;
mod property;
mod start_gate;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, stress::TESTS, property::TESTS])
}
