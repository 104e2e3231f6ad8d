//! Hidden tests for exercise 04 `counter`.
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, stress::TESTS, property::TESTS])
}
