//! Grading throughput: seconds per submission for a generated batch,
//! against a naive shell loop (`bench/naive-grade.sh`) and against the
//! lower bound (rustc on the learner crates plus the tests' own CPU time,
//! divided by the cores).
//!
//! The batch is made from the course itself. Submission 0 is every
//! solution, submission 1 every stub unchanged; in the others each exercise
//! is the solution (7 in 10), the stub unchanged (1 in 10) or one of the
//! exercise's mutants (2 in 10), picked by a fixed rule so every run grades
//! the same batch. Each file a submission changed gets a last line naming
//! the submission, so no two learners' files are the same.

use super::probe::Timed;
use super::{Args, Bench, secs, spread};
use crate::engine::course::Course;
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How one exercise of a generated submission was made.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Made {
    Solution,
    Stub,
    Mutant(usize),
}

fn made(submission: usize, exercise: usize, mutants: usize) -> Made {
    match submission {
        0 => Made::Solution,
        1 => Made::Stub,
        k => match (k * 31 + exercise * 17) % 10 {
            0..=6 => Made::Solution,
            7 => Made::Stub,
            _ if mutants == 0 => Made::Solution,
            _ => Made::Mutant((k + exercise) % mutants),
        },
    }
}

/// A finished command: its wall time and the CPU time of it and of every
/// process it waited for.
struct Measured {
    wall: Duration,
    cpu: Duration,
    stdout: String,
}

pub fn run(course: &Course, bench: &Bench, args: &Args) -> Result<String> {
    let batch = bench.dir.join("batch");
    let submissions = batch.join("submissions");
    let counts = generate(course, bench, &submissions, args.submissions)?;

    // A full submission graded alone, as a grader grading one late
    // submission would: one warm-up (the first build of the grading slots in
    // the scratch course), then three timed runs, each of a new variant.
    let single = batch.join("single");
    let mut single_runs = Vec::new();
    for round in 0..4 {
        let one = single.join("submissions");
        let _ = std::fs::remove_dir_all(&single);
        copy_submission(&submissions.join(submission_id(0)), &one.join("full"), &format!("single round {round}"))?;
        let out = single.join("out");
        eprintln!("bench grading: one full submission alone ({})", if round == 0 { "warm-up" } else { "timed" });
        let measured = measure(bench.cargo_xtask().arg("grade").arg(&one).arg("--out").arg(&out), "grade")?;
        if round > 0 {
            let seconds = report(&out)?["submissions"][0]["seconds"].as_f64().unwrap_or_default();
            single_runs.push((measured.wall, Duration::from_secs_f64(seconds)));
        }
    }

    eprintln!("bench grading: {} submissions with `cargo xtask grade`", args.submissions);
    let out = batch.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let log = bench.log();
    let mark = log.mark();
    let graded = measure(bench.cargo_xtask().arg("grade").arg(&submissions).arg("--out").arg(&out), "grade")?;
    let entries = log.since(mark);
    let report = report(&out)?;

    let naive = if args.no_baseline {
        None
    } else {
        eprintln!("bench grading: warming up the naive baseline's target folder");
        let work = bench.dir.join("naive");
        let warm = work.join("warm-up");
        let _ = std::fs::remove_dir_all(&warm);
        copy_submission(&submissions.join(submission_id(0)), &warm.join(submission_id(0)), "naive warm-up")?;
        naive(course, bench, &warm, &work)?;
        eprintln!("bench grading: {} submissions with the naive shell loop", args.submissions);
        Some(naive(course, bench, &submissions, &work)?)
    };

    let measured = Batch { n: args.submissions, counts, single_runs, graded, entries, report, naive };
    Ok(render(course, bench, &measured))
}

fn submission_id(k: usize) -> String {
    format!("s{k:03}")
}

/// Writes the batch; returns how many exercises were solutions, stubs and mutants.
fn generate(course: &Course, bench: &Bench, dir: &Path, n: usize) -> Result<(usize, usize, usize)> {
    let _ = std::fs::remove_dir_all(dir);
    let mut counts = (0, 0, 0);
    for k in 0..n {
        for (j, ex) in course.exercises.iter().enumerate() {
            let mutants = mutant_files(&bench.scratch.join("tests").join(&ex.dir).join("mutants"))?;
            let dest = dir.join(submission_id(k)).join("exercises").join(&ex.dir).join("src");
            std::fs::create_dir_all(&dest)?;
            let stub_dir = bench.scratch.join("exercises").join(&ex.dir).join("src");
            let mark = format!("\n// submission {}\n", submission_id(k));
            match made(k, j, mutants.len()) {
                Made::Solution => {
                    copy_tree(&bench.scratch.join("solutions").join(&ex.dir).join("src"), &dest)?;
                    append(&dest.join("lib.rs"), &mark)?;
                    counts.0 += 1;
                }
                Made::Stub => {
                    copy_tree(&stub_dir, &dest)?;
                    counts.1 += 1;
                }
                Made::Mutant(i) => {
                    copy_tree(&stub_dir, &dest)?;
                    std::fs::copy(&mutants[i], dest.join("lib.rs"))?;
                    append(&dest.join("lib.rs"), &mark)?;
                    counts.2 += 1;
                }
            }
        }
    }
    Ok(counts)
}

fn mutant_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    Ok(files)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest).with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn append(path: &Path, text: &str) -> Result<()> {
    let mut content = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    content.push_str(text);
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}

/// A copy of submission `from` at `to`, every changed file marked with `mark`.
fn copy_submission(from: &Path, to: &Path, mark: &str) -> Result<()> {
    copy_tree(from, to)?;
    for ex in std::fs::read_dir(to.join("exercises"))? {
        let lib = ex?.path().join("src/lib.rs");
        append(&lib, &format!("// {mark}\n"))?;
    }
    Ok(())
}

fn measure(command: &mut Command, what: &str) -> Result<Measured> {
    let started = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let (status, cpu) = crate::engine::process::wait_with_cpu(pid).with_context(|| format!("lost {what}"))?;
    let wall = started.elapsed();
    let stdout = reader.join().unwrap_or_default();
    if !status.success() {
        bail!("{what} failed ({status}):\n{stdout}");
    }
    Ok(Measured { wall, cpu, stdout })
}

fn report(out: &Path) -> Result<serde_json::Value> {
    let path = out.join("report.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn naive(course: &Course, bench: &Bench, submissions: &Path, work: &Path) -> Result<Measured> {
    let script = course.root.join("bench/naive-grade.sh");
    let mut command = Command::new("bash");
    command.arg(&script).arg(&bench.pristine).arg(submissions).arg(work);
    for var in ["CARGO_TARGET_DIR", "RUSTC_WRAPPER", "THREADWORK_TARGET_DIR"] {
        command.env_remove(var);
    }
    measure(&mut command, "the naive baseline")
}

/// What one run of this part measured.
struct Batch {
    /// Submissions in the batch.
    n: usize,
    /// Exercises made from solutions, stubs and mutants.
    counts: (usize, usize, usize),
    /// One full solution submission graded alone: `grade`'s wall time, and
    /// the `seconds` its report gives.
    single_runs: Vec<(Duration, Duration)>,
    /// The batch, graded.
    graded: Measured,
    /// The probes' log of the batch's grading.
    entries: Vec<Timed>,
    /// The batch's `report.json`.
    report: serde_json::Value,
    /// The naive loop over the same batch, unless `--no-baseline`.
    naive: Option<Measured>,
}

fn render(course: &Course, bench: &Bench, batch: &Batch) -> String {
    let Batch { n, counts, single_runs, graded, entries, report, naive } = batch;
    let (n, naive) = (*n, naive.as_ref());
    let cores = bench.cores as f64;
    let crates: Vec<&str> = course.exercises.iter().map(|e| e.name.as_str()).collect();
    let learner_crate =
        |t: &Timed| t.kind == "rustc" && crates.contains(&t.krate.as_str()) && t.source.contains("/staging/");
    let ms = |v: u64| Duration::from_millis(v);
    let rustc_learner: Duration = entries.iter().filter(|t| learner_crate(t)).map(|t| ms(t.cpu_ms)).sum();
    let rustc_all: Duration = entries.iter().filter(|t| t.kind == "rustc").map(|t| ms(t.cpu_ms)).sum();
    let rustc_tests: Duration =
        entries.iter().filter(|t| t.kind == "rustc" && t.krate == "hidden").map(|t| ms(t.cpu_ms)).sum();
    let rustc_runs = entries.iter().filter(|t| t.kind == "rustc").count();
    let submissions = report["submissions"].as_array().cloned().unwrap_or_default();
    let tests_cpu: Duration = submissions
        .iter()
        .flat_map(|s| s["exercises"].as_array().cloned().unwrap_or_default())
        .map(|e| ms(e["test_cpu_ms"].as_u64().unwrap_or(0)))
        .sum();
    let per = |d: Duration| d / n.max(1) as u32;
    let ours = per(graded.wall);
    let bound = Duration::from_secs_f64((rustc_learner + tests_cpu).as_secs_f64() / cores / n.max(1) as f64);

    let mut out = String::new();
    let _ = writeln!(out, "## 2. Grading throughput\n");
    let _ = writeln!(
        out,
        "A generated batch of {n} full-course submissions ({} exercises from solutions, {} stubs left \
         unchanged, {} mutants; `xtask/src/bench/grading.rs` says how they are picked), graded with \
         `cargo xtask grade SUBMISSIONS --out OUT` (default jobs: {} cores) in the scratch course, whose \
         dependencies and grading suite were already built. The naive baseline is `bench/naive-grade.sh`, \
         run right after on the same batch with its dependencies built once beforehand.\n",
        counts.0, counts.1, counts.2, bench.cores
    );
    let _ = writeln!(out, "| | seconds per submission | whole batch (s) |");
    let _ = writeln!(out, "|---|---|---|");
    let _ = writeln!(out, "| `cargo xtask grade` | {} | {} |", secs(ours), secs(graded.wall));
    if let Some(naive) = naive {
        let _ =
            writeln!(out, "| naive shell loop of `cargo test` | {} | {} |", secs(per(naive.wall)), secs(naive.wall));
    }
    let _ = writeln!(
        out,
        "| lower bound: (rustc on learner crates + tests' CPU) ÷ {} cores | {} | {} |",
        bench.cores,
        secs(bound),
        secs(bound * n as u32)
    );
    let _ = writeln!(out);
    if let Some(naive) = naive {
        let codes: Vec<&str> = naive.stdout.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
        let timed_out = codes.iter().filter(|c| **c == "124").count();
        let _ = writeln!(
            out,
            "The grader is **{:.1}×** faster than the naive loop (target ≥ 5×). The naive loop's `cargo test` \
             ran out of its 600 s on {timed_out} of {n} submissions. It gives no partial credit per test \
             beyond what its output says, and it runs the learner's code unconfined, all tests in one process.\n",
            naive.wall.as_secs_f64() / graded.wall.as_secs_f64().max(1e-9)
        );
    }
    let _ = writeln!(
        out,
        "The grader takes **{:.2}×** the lower bound (target ≤ 1.5×).\n",
        ours.as_secs_f64() / bound.as_secs_f64().max(1e-9)
    );
    let _ = writeln!(out, "Where the grader's CPU time went (the whole batch, every process `grade` started):\n");
    let _ = writeln!(out, "| | CPU-s | per submission |");
    let _ = writeln!(out, "|---|---|---|");
    let link: Duration = entries.iter().filter(|t| t.kind == "link").map(|t| ms(t.cpu_ms)).sum();
    let rows = [
        ("rustc on the learner crates", rustc_learner),
        ("rustc on the hidden test crates (both tiers, link excluded)", rustc_tests.saturating_sub(link)),
        ("linking test binaries", link),
        (
            "other rustc runs (the exploration tier's rewritten learner crates, anything rebuilt)",
            rustc_all.saturating_sub(rustc_learner + rustc_tests),
        ),
        ("test processes (with their supervisors; confirmation runs and exploration included)", tests_cpu),
        ("everything else (cargo, the grader, reports)", graded.cpu.saturating_sub(rustc_all + tests_cpu)),
        ("total", graded.cpu),
    ];
    for (label, d) in rows {
        let _ = writeln!(out, "| {label} | {:.1} | {:.2} |", d.as_secs_f64(), per(d).as_secs_f64());
    }
    let _ = writeln!(out, "\n({rustc_runs} rustc runs in the batch.)\n");
    let mut by_kind = std::collections::BTreeMap::<&str, Vec<Duration>>::new();
    for s in &submissions {
        let id = s["id"].as_str().unwrap_or("");
        let kind = match id {
            "s000" => "every exercise a solution",
            "s001" => "every exercise the stub",
            _ => "mixed",
        };
        by_kind.entry(kind).or_default().push(Duration::from_secs_f64(s["seconds"].as_f64().unwrap_or(0.0)));
    }
    let _ = writeln!(
        out,
        "Seconds one grading slot spent on a submission (`seconds` in report.json), while the other slot graded another:\n"
    );
    let _ = writeln!(out, "| submission | count | median (min–max) |");
    let _ = writeln!(out, "|---|---|---|");
    for (kind, values) in &by_kind {
        let (m, lo, hi) = spread(values);
        let _ = writeln!(out, "| {kind} | {} | {} ({}–{}) |", values.len(), secs(m), secs(lo), secs(hi));
    }
    if !single_runs.is_empty() {
        let walls: Vec<Duration> = single_runs.iter().map(|r| r.0).collect();
        let inner: Vec<Duration> = single_runs.iter().map(|r| r.1).collect();
        let (m, lo, hi) = spread(&walls);
        let (mi, _, _) = spread(&inner);
        let _ = writeln!(
            out,
            "\nOne full submission (every exercise a solution) graded alone, {} runs: `cargo xtask grade` took \
             {} s ({}–{}) from typing to reports, {} s of it grading the submission. Target ≤ 20 s: **{}**.",
            single_runs.len(),
            secs(m),
            secs(lo),
            secs(hi),
            secs(mi),
            if m <= Duration::from_secs(20) { "met" } else { "missed" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default batch holds all three kinds of exercise, and the same
    /// rule gives the same batch every time.
    #[test]
    fn a_batch_of_forty_mixes_solutions_stubs_and_mutants_the_same_way_each_time() {
        let mix = |n: usize| {
            let mut counts = (0, 0, 0);
            for k in 0..n {
                for j in 0..13 {
                    match made(k, j, 9) {
                        Made::Solution => counts.0 += 1,
                        Made::Stub => counts.1 += 1,
                        Made::Mutant(i) => {
                            assert!(i < 9);
                            counts.2 += 1
                        }
                    }
                }
            }
            counts
        };
        let (solutions, stubs, mutants) = mix(40);
        assert_eq!(solutions + stubs + mutants, 40 * 13);
        assert!(solutions > stubs + mutants, "mostly right answers, as in a class: {solutions}/{stubs}/{mutants}");
        assert!(stubs >= 13 && mutants >= 40, "{solutions}/{stubs}/{mutants}");
        assert_eq!(mix(40), (solutions, stubs, mutants));
        assert!((0..13).all(|j| made(0, j, 9) == Made::Solution && made(1, j, 9) == Made::Stub));
        // An exercise without mutants gets its solution instead.
        assert!((2..40).all(|k| (0..13).all(|j| !matches!(made(k, j, 0), Made::Mutant(_)))));
    }
}
