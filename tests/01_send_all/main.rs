//! Hidden tests for exercise 01 `send_all`.
mod contract;

fn main() {
    testkit::main(&[contract::TESTS])
}
