//! The hidden tests' own cost: CPU time of each exercise's tests against
//! its reference solution, per tier, from the test processes' own
//! accounting (`wait4`: the test, its threads and its supervisor).

use super::{Args, secs};
use crate::engine::course::Course;
use crate::engine::judge::{self, BuildOptions, Built, Exploration, Origin, Plan, Reruns, Sources, Stop, Subject};
use crate::engine::outcome::TestStatus;
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
    let options = BuildOptions { color: false, time_limit: None, progress: &|_| {} };
    for ex in &course.exercises {
        eprintln!("bench cost: {} ({runs} runs)", ex.name);
        let subject = Subject::new(course, ex, &Sources::Other(course.solution_dir(ex)))?;
        let ordinary = match judge::build(&subject, &options)? {
            Built::Ok(tier) => tier,
            Built::CompileError { compiler_output, .. } => {
                bail!("the solution of {} does not build:\n{compiler_output}", ex.name)
            }
        };
        let exploration = judge::build_exploration(&subject, &options)?;
        if let Exploration::Skipped(why) = &exploration {
            bail!("the solution of {} does not build for exploration: {why:?}", ex.name)
        }
        // One tier at a time, so that each has its own wall time.
        let measure = |origin: Origin, tests: usize| -> Result<Tier> {
            let plan = Plan { only: &[], jobs: &|| jobs, stop: Stop::Never, reruns: Reruns::Never, origins: &[origin] };
            let mut tier = Tier { tests, cpu: Duration::ZERO, wall: Duration::ZERO, failed: 0 };
            for _ in 0..runs {
                let started = Instant::now();
                let judgement = judge::run(&subject, &ordinary, &exploration, &plan, &|_, _| {})?;
                tier.wall += started.elapsed();
                tier.cpu += judgement.test_cpu;
                tier.failed += judgement.tests.iter().filter(|t| t.outcome.status != TestStatus::Passed).count();
            }
            tier.cpu /= runs as u32;
            tier.wall /= runs as u32;
            Ok(tier)
        };
        let exploration = match &exploration {
            Exploration::Built(tier) => Some(measure(Origin::Explored, tier.names.len())?),
            Exploration::Absent | Exploration::Skipped(_) => None,
        };
        let ordinary = measure(Origin::Hidden, ordinary.tier.names.len())?;
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
