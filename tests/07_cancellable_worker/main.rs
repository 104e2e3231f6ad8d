//! Hidden tests for exercise 07 `cancellable_worker`.
mod blocking;
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, blocking::TESTS, stress::TESTS, property::TESTS])
}
