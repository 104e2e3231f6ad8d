//! `cargo xtask`: the threadwork course's runner. Thin on purpose: parse the
//! command line, dispatch to one module per subcommand, map errors to exit
//! codes (see `exit`).

mod atomic_write;
mod bench;
mod check;
mod doctor;
mod engine;
mod exit;
mod grade;
mod gradescope_bundle;
mod hint;
mod list;
mod merge;
mod progress;
mod replay;
mod report;
mod reset;
mod selftest;
mod timestamp;
mod toolchain;
mod verify;
mod watch;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// threadwork: a Rust course in concurrency, and the harness that judges it.
///
/// Edit an exercise under exercises/, then run `cargo xtask check` to have
/// its hidden tests judge it. Exit status: 0 every checked exercise passes,
/// 1 an exercise failed, 2 bad command line, 3 the tool itself failed.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", arg_required_else_help = true, version)]
struct Cli {
    /// The course folder (default: the one this xtask was built from).
    #[arg(long, global = true, env = "THREADWORK_ROOT", value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build exercises with their hidden tests and say what is wrong.
    Check(check::Args),
    /// Show every exercise and whether it passes.
    List(list::Args),
    /// Show the hints of an exercise.
    Hint(hint::Args),
    /// Put an exercise's stub back (asks first).
    Reset(reset::Args),
    /// Re-check the exercise you are editing every time you save.
    Watch(watch::Args),
    /// Run one schedule-exploration test under the schedule its failure
    /// printed, to see the same failure again.
    Replay(replay::Args),
    /// For graders: score many submissions (folders, .zip, .tar.gz) with the
    /// hidden tests and write gradebook, JUnit and Gradescope reports.
    Grade(grade::Args),
    /// For graders: combine the outputs of `grade --shard` runs.
    Merge(merge::Args),
    /// For graders: the autograder zip for a Gradescope assignment
    /// (setup.sh, run_autograder and the course without its answers).
    GradescopeBundle(gradescope_bundle::Args),
    /// For course authors: stubs fail, solutions pass N times under load,
    /// every mutant is killed.
    Verify(verify::Args),
    /// For course authors: everything that tests the course (what CI runs).
    Selftest(selftest::Args),
    /// For course authors: time the learner's loop and the grader on this
    /// machine against plain cargo, and write bench/results.md.
    Bench(bench::Args),
    /// Which protections around learner code this machine gives, on or off.
    Doctor(doctor::Args),
    /// Internal: the load generator `verify` starts.
    #[command(hide = true)]
    BurnCpu,
    /// Internal: runs one hidden test inside the sandbox and cleans up after it.
    #[command(hide = true)]
    Supervise(engine::supervise::Args),
}

fn main() {
    // Started as one of the benchmark's probes (a rustc wrapper or a linker)?
    if let Some(code) = bench::probe::run_if_probe() {
        std::process::exit(code);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    if let Task::BurnCpu = cli.command {
        verify::burn_cpu();
    }
    if let Task::Supervise(args) = cli.command {
        engine::supervise::run(args);
    }
    // merge reads reports, not the course.
    let command = match cli.command {
        Task::Merge(args) => exit_with(merge::run(args)),
        Task::Doctor(args) => exit_with(doctor::run(args)),
        other => other,
    };
    let root = cli.root.unwrap_or_else(engine::course::default_root);
    let result = engine::course::Course::load(&root).and_then(|course| match command {
        Task::Check(args) => check::run(&course, args),
        Task::List(args) => list::run(&course, args),
        Task::Hint(args) => hint::run(&course, args),
        Task::Reset(args) => reset::run(&course, args),
        Task::Watch(args) => watch::run(&course, args),
        Task::Replay(args) => replay::run(&course, args),
        Task::Grade(args) => grade::run(&course, args),
        Task::GradescopeBundle(args) => gradescope_bundle::run(&course, args),
        Task::Verify(args) => verify::run(&course, args),
        Task::Selftest(args) => selftest::run(&course, args),
        Task::Bench(args) => bench::run(&course, args),
        Task::BurnCpu | Task::Supervise(_) | Task::Merge(_) | Task::Doctor(_) => {
            unreachable!("handled before the course is loaded")
        }
    });
    exit_with(result)
}

fn exit_with(result: anyhow::Result<i32>) -> ! {
    match result {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            let code = if error.downcast_ref::<exit::Usage>().is_some() { exit::USAGE } else { exit::INTERNAL };
            std::process::exit(code);
        }
    }
}
