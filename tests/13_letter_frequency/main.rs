//! Hidden tests for exercise 13 `letter_frequency`.
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, stress::TESTS, property::TESTS])
}
