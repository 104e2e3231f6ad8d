//! Hidden tests for exercise 08 `worker_pool`.
mod concurrency;
mod contract;
mod property;
mod stress;
mod support;

fn main() {
    testkit::main(&[contract::TESTS, concurrency::TESTS, stress::TESTS, property::TESTS])
}
