//! `cargo xtask selftest`: the one command that tests the course itself, and
//! what `.ci/run` calls. It runs the runner's, the test kit's, the protocol's
//! and the crossbeam-channel model's own tests
//! (including the repository invariants in `xtask/tests/invariants.rs`), then
//! `verify --first-kill` on every exercise.

use crate::engine::course::Course;
use anyhow::{Context, Result};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Runs of each solution and mutant in the verify step.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Verify without the load generator.
    #[arg(long)]
    pub no_load: bool,
}

pub fn run(course: &Course, args: Args) -> Result<i32> {
    let mut passed = 0;
    let mut failed = Vec::new();

    println!("selftest 1/2: the runner's, the test kit's, the protocol's and the channel model's own tests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args([
            "test",
            "--locked",
            "-p",
            "threadwork-protocol",
            "-p",
            "threadwork-testkit",
            "-p",
            "threadwork-crossbeam-model",
            "-p",
            "xtask",
            // The test kit's schedule-exploration half has tests of its own.
            "--features",
            "threadwork-testkit/explore",
        ])
        .current_dir(&course.root)
        .status()
        .context("cannot run cargo test")?;
    if status.success() {
        passed += 1;
    } else {
        failed.push("cargo test");
    }

    println!("\nselftest 2/2: verify every exercise ({} runs each, mutants stopped at their first kill)", args.runs);
    let verify_args = crate::verify::Args {
        exercises: Vec::new(),
        runs: args.runs,
        mutant_runs: None,
        no_load: args.no_load,
        format: crate::check::Format::Human,
        jobs: None,
        // Pass or fail is all selftest needs; `verify` draws the whole kill matrix.
        first_kill: true,
        mutants: Vec::new(),
    };
    if crate::verify::run(course, verify_args)? == crate::exit::OK {
        passed += 1;
    } else {
        failed.push("verify");
    }

    if !failed.is_empty() {
        println!("\nfailed: {}", failed.join(", "));
    }
    println!("selftest: {passed} passed, {} failed", failed.len());
    Ok(if failed.is_empty() { crate::exit::OK } else { crate::exit::EXERCISE_FAILED })
}
