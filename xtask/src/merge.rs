//! `cargo xtask merge`: one set of reports from the outputs of `grade
//! --shard` runs. The shards must have graded against the same suite; every
//! submission any shard saw on its command line must have been graded by
//! one of them, else merge names the missing ones and exits 1.

use crate::grade::model::GradeReport;
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Exit status: 0 merged, 1 some submission was graded by no shard (named on stderr), \
2 bad command line, 3 a report could not be read or the shards used different suites.")]
pub struct Args {
    /// The --out folders of the shards.
    #[arg(required = true, value_name = "SHARD_OUT")]
    pub shards: Vec<PathBuf>,
    /// Where the merged reports go.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<i32> {
    let mut reports = Vec::new();
    for dir in &args.shards {
        let path = dir.join("report.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let report: GradeReport =
            serde_json::from_str(&text).with_context(|| format!("{} is not a grade report", path.display()))?;
        if report.format_version != crate::grade::model::FORMAT_VERSION {
            bail!(
                "{} has format_version {}, not {}",
                path.display(),
                report.format_version,
                crate::grade::model::FORMAT_VERSION
            );
        }
        reports.push((dir, report));
    }
    let (first_dir, first) = &reports[0];
    for (dir, r) in &reports[1..] {
        if r.suite != first.suite {
            bail!(
                "{} and {} were graded against different suites ({} and {}): grade them again with the same tests",
                first_dir.display(),
                dir.display(),
                first.suite.tests_hash,
                r.suite.tests_hash
            );
        }
    }

    let mut by_id = BTreeMap::new();
    let mut candidates = BTreeSet::new();
    for (dir, r) in &reports {
        candidates.extend(r.run.candidates.iter().cloned());
        for s in &r.submissions {
            if by_id.insert(s.id.clone(), s.clone()).is_some() {
                eprintln!("warning: {} was graded by more than one shard (kept the one in {})", s.id, dir.display());
            }
        }
        // Keep the per-submission results too, so a later run can reuse them.
        let results = dir.join("results");
        if results.is_dir() {
            let to = args.out.join("results");
            std::fs::create_dir_all(&to).with_context(|| format!("cannot create {}", to.display()))?;
            for entry in std::fs::read_dir(&results).with_context(|| format!("cannot read {}", results.display()))? {
                let entry = entry?;
                if entry.file_type()?.is_file() && entry.path().extension().is_some_and(|e| e == "json") {
                    std::fs::copy(entry.path(), to.join(entry.file_name()))
                        .with_context(|| format!("cannot copy {}", entry.path().display()))?;
                }
            }
        }
    }
    let missing: Vec<&String> = candidates.iter().filter(|id| !by_id.contains_key(*id)).collect();

    let mut merged = first.clone();
    merged.run.shard = None;
    merged.run.candidates = candidates.iter().cloned().collect();
    merged.run.jobs = reports.iter().map(|(_, r)| r.run.jobs).sum();
    merged.run.started = reports.iter().map(|(_, r)| r.run.started.clone()).min().unwrap_or_default();
    merged.submissions = by_id.into_values().collect();
    crate::grade::reports::write_all(&merged, &args.out)?;
    print!("{}", crate::grade::reports::summary_table(&merged));
    println!("merged {} shard(s): {} submission(s) in {}", reports.len(), merged.submissions.len(), args.out.display());
    if !missing.is_empty() {
        eprintln!(
            "error: {} submission(s) graded by no shard: {}",
            missing.len(),
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        );
        return Ok(crate::exit::EXERCISE_FAILED);
    }
    Ok(crate::exit::OK)
}
