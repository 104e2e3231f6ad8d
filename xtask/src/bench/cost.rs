//! The hidden tests' own cost: CPU time of each exercise's tests against
//! its reference solution, per tier, from the test processes' own
//! accounting (`wait4`: the test, its threads and its supervisor).

use super::{Args, secs};
use crate::engine::compile::Build;
use crate::engine::course::Course;
use crate::engine::runner::Stop;
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

struct Tier {
    tests: usize,
    cpu: Duration,
    wall: Duration,
    failed: usize,
}

pub fn run(course: &Course, args: &Args) -> Result<String> {
    let runs = args.cost_runs.max(1);
    let jobs = crate::engine::process::default_jobs();
    let mut rows = Vec::new();
    for ex in &course.exercises {
        eprintln!("bench cost: {} ({runs} runs)", ex.name);
        let src = course.solution_dir(ex).join("src");
        let ordinary =
            match crate::engine::compile::build_hidden_tests(course, ex, &src, "solution", false, &mut |_| {})? {
                Build::Built { test_binary, .. } => test_binary,
                Build::CompileError { rendered, .. } => {
                    bail!("the solution of {} does not build:\n{rendered}", ex.name)
                }
            };
        let exploration = match crate::engine::explore::tests_file(course, ex) {
            None => None,
            Some(_) => match crate::engine::compile::build_exploration(
                course,
                ex,
                &src,
                &course.tests_dir(ex),
                "solution",
                false,
                &mut |_| {},
            )? {
                Build::Built { test_binary, .. } => Some(test_binary),
                Build::CompileError { rendered, .. } => {
                    bail!("the solution of {} does not build for exploration:\n{rendered}", ex.name)
                }
            },
        };
        let mut measure = |binary: &std::path::Path| -> Result<Tier> {
            let names = crate::engine::runner::list_tests(binary)?;
            let mut tier = Tier { tests: names.len(), cpu: Duration::ZERO, wall: Duration::ZERO, failed: 0 };
            for _ in 0..runs {
                let started = Instant::now();
                let outcomes =
                    crate::engine::runner::run_tests(course, ex, binary, &names, jobs, Stop::Never, &|_, _| {})?;
                tier.wall += started.elapsed();
                tier.cpu += outcomes.iter().map(|o| o.cpu).sum::<Duration>();
                tier.failed +=
                    outcomes.iter().filter(|o| o.status != crate::engine::outcome::TestStatus::Passed).count();
            }
            tier.cpu /= runs as u32;
            tier.wall /= runs as u32;
            Ok(tier)
        };
        let ordinary = measure(&ordinary)?;
        let exploration = exploration.as_deref().map(&mut measure).transpose()?;
        rows.push((ex, ordinary, exploration));
    }

    let mut out = String::new();
    let _ = writeln!(out, "## 3. The hidden tests' own cost\n");
    let _ = writeln!(
        out,
        "Each exercise's hidden tests against its reference solution, {runs} runs, {jobs} test processes at \
         a time (as `check` runs them), builds not counted. CPU is user + system time of the test processes \
         and their supervisors; wall is one run of the tier. Per run:\n"
    );
    let _ = writeln!(
        out,
        "| exercise | tests | CPU-s | wall (s) | exploration tests | exploration CPU-s | exploration wall (s) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let (mut cpu, mut explore_cpu, mut failed) = (Duration::ZERO, Duration::ZERO, 0);
    for (ex, ordinary, exploration) in &rows {
        cpu += ordinary.cpu;
        failed += ordinary.failed;
        let (tests, e_cpu, e_wall) = match exploration {
            Some(t) => {
                explore_cpu += t.cpu;
                failed += t.failed;
                (t.tests.to_string(), secs(t.cpu), secs(t.wall))
            }
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {:02} {} | {} | {} | {} | {tests} | {e_cpu} | {e_wall} |",
            course.number(ex),
            ex.name,
            ordinary.tests,
            secs(ordinary.cpu),
            secs(ordinary.wall)
        );
    }
    let _ = writeln!(out, "| all | | {} | | | {} | |", secs(cpu), secs(explore_cpu));
    if failed > 0 {
        let _ = writeln!(
            out,
            "\n**{failed} test runs failed against the solutions in this run**: see `cargo xtask verify`."
        );
    }
    Ok(out)
}
