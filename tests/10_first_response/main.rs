//! Hidden tests for exercise 10 `first_response`.
mod concurrency;
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, concurrency::TESTS, stress::TESTS, property::TESTS])
}
