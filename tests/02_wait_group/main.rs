//! Hidden tests for exercise 02 `wait_group`.
mod blocking;
mod contract;
mod lost_wakeup;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, blocking::TESTS, stress::TESTS, lost_wakeup::TESTS, property::TESTS])
}
