//! Hidden tests for exercise 11 `pipeline`.
mod concurrency;
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, concurrency::TESTS, stress::TESTS, property::TESTS])
}
