//! Hidden tests for exercise 09 `fetch_all`.
mod concurrency;
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, concurrency::TESTS, stress::TESTS, property::TESTS])
}
