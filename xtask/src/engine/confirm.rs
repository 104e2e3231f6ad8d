//! The grading policy: which verdicts are settled by one run, and how the
//! others are confirmed.
//!
//! A grader must give the same code the same score every time. Most
//! verdicts are the same on every run by construction: a rule is read from
//! the source, an explored test walks the same schedules every time, and
//! every test of an exercise whose tests all passed scores full marks. What
//! can vary is a real-thread test that passed while its exercise failed
//! something: racy code passes such a test now and then by luck of the
//! schedule. [`settle`] settles those, in two ways:
//!
//! 1. **By exploration.** A hidden test may name the explored test that
//!    checks its property in a smaller setting (`explored_by` in
//!    `exercises/info.toml`). When that explored test fails, it has found a
//!    schedule that breaks the property, and the hidden test is scored
//!    failed whatever its own runs said; when it passes, the property holds
//!    in every schedule it explored, and the hidden test's first run stands.
//!    Either way no run can change the verdict. A test may instead name an
//!    explored test that checks only part of its property (`fails_with`):
//!    that one's failure fails it too, but its pass settles nothing.
//! 2. **By construction.** A hidden test marked `schedule_free` calls code
//!    that starts no thread from one thread: its first run stands.
//! 3. **By confirmation.** Every other passing hidden test of a failed
//!    exercise runs again, [`Policy::runs`] more times, and fails at its
//!    first failure. With the course's `confirm_catch_rate` q and
//!    `confirm_miss_chance` p, a mistake a test catches in at least q of its
//!    runs goes unseen in all of them with probability at most p.
//!
//! Confirmation runs are what a grader's time goes on, so they are spent
//! with care: the runs of every test of a submission are interleaved (each
//! test's next run goes to the one that has had fewest), and as many run at
//! once as the machine's CPUs hold, by what each test's first run cost (a
//! test that mostly waits at a gate takes a small share of a core; one that
//! hammers a counter takes a whole one). A deadline cuts them short; what
//! was cut short stays visible in each test's [`Settled`].

use crate::engine::course::Course;
pub use crate::engine::judge::Settled;
use crate::engine::judge::{HiddenTests, Judgement, Origin, Subject};
use crate::engine::outcome::{TestOutcome, TestStatus};
use crate::engine::runner;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How sure a confirmed verdict is: a mistake a test catches in at least
/// `catch_rate` of its runs is missed by every confirmation run with
/// probability at most `miss_chance`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub catch_rate: f64,
    pub miss_chance: f64,
}

impl Policy {
    pub fn from_course(course: &Course) -> Policy {
        Policy { catch_rate: course.defaults.confirm_catch_rate, miss_chance: course.defaults.confirm_miss_chance }
    }

    /// How many more runs a passing test gets: the least n with
    /// (1 - q)^n <= p.
    pub fn runs(&self) -> u32 {
        let q = self.catch_rate.clamp(1e-6, 1.0);
        let p = self.miss_chance.clamp(1e-12, 1.0);
        if q >= 1.0 || p >= 1.0 {
            return if p >= 1.0 { 0 } else { 1 };
        }
        let n = (p.ln() / (1.0 - q).ln()).ceil();
        n.clamp(0.0, 100_000.0) as u32
    }

    /// The guarantee in words, as reports state it.
    pub fn guarantee(&self) -> String {
        format!(
            "a mistake that a test catches in at least {} of its runs is missed with probability at most {}",
            percent(self.catch_rate),
            percent(self.miss_chance)
        )
    }
}

fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p >= 1.0 && (p - p.round()).abs() < 1e-9 { format!("{p:.0}%") } else { format!("{p}%") }
}

/// One exercise's share of the work: its build and its first verdicts,
/// which [`settle`] updates in place.
pub struct Exercise<'a> {
    pub subject: &'a Subject<'a>,
    pub built: &'a HiddenTests,
    pub judgement: &'a mut Judgement,
}

/// What confirmation may use.
pub struct Means<'a> {
    /// The CPUs this grading slot may keep busy (fractions count: half a
    /// core under a container's quota), asked before each launch.
    pub cpus: &'a (dyn Fn() -> f64 + Sync),
    /// When to stop starting runs and kill those still going.
    pub deadline: Option<Instant>,
}

/// Never more than this many confirmation processes at once, however
/// little they cost: each is a process tree with its own memory.
const MOST_AT_ONCE: usize = 12;
/// ... nor more than this many copies of one test.
const MOST_COPIES: u32 = 8;

/// Settles the verdicts of a submission's exercises (see the module
/// comment): by exploration first, then the confirmation runs of every
/// exercise together, until each is done, fails, or the deadline comes.
pub fn settle(exercises: &mut [Exercise], policy: &Policy, means: &Means) -> Result<()> {
    for ex in exercises.iter_mut() {
        settle_by_exploration(ex.subject.course, ex.subject.ex, ex.judgement);
    }
    let wanted = policy.runs();
    let mut tasks = Vec::new();
    for (e, ex) in exercises.iter_mut().enumerate() {
        let failed =
            ex.judgement.tests.iter().any(|t| t.origin != Origin::Rule && t.outcome.status != TestStatus::Passed);
        if !failed || wanted == 0 {
            continue;
        }
        let (course, exercise) = (ex.subject.course, ex.subject.ex);
        for (i, t) in ex.judgement.tests.iter().enumerate() {
            let settled = t.settled != Settled::FirstRun || course.schedule_free(exercise, &t.outcome.name);
            if t.origin == Origin::Hidden && t.outcome.status == TestStatus::Passed && !settled {
                let wall = t.outcome.duration.as_secs_f64().max(1e-3);
                let share = (t.outcome.cpu.as_secs_f64() / wall).clamp(0.05, 4.0);
                tasks.push(Task {
                    exercise: e,
                    test: i,
                    share,
                    started: 0,
                    running: 0,
                    done: false,
                    copies: Vec::new(),
                });
            }
        }
    }
    if tasks.is_empty() {
        return Ok(());
    }
    run_tasks(exercises, &mut tasks, wanted, means)
}

/// A passing hidden test whose `explored_by` test ran takes that test's
/// verdict: failed when it failed, settled when it passed; one whose
/// `fails_with` test failed is failed. (When the tier did not run, or the
/// explored test only ran out of steps, nothing is settled here and the
/// test is confirmed.)
fn settle_by_exploration(course: &Course, exercise: &crate::engine::course::Exercise, judgement: &mut Judgement) {
    let tests = &mut judgement.tests;
    for i in 0..tests.len() {
        if tests[i].origin != Origin::Hidden || tests[i].outcome.status != TestStatus::Passed {
            continue;
        }
        let Some((by, pass_settles)) = course.explored_twin(exercise, &tests[i].outcome.name) else { continue };
        let Some(proof) = tests.iter().find(|t| t.origin == Origin::Explored && t.outcome.name == by) else {
            continue;
        };
        // Code that spins runs out of steps in the tier (shuttle's "exceeded
        // max_steps bound", or a `busy_wait` verdict): that says nothing of
        // the property the hidden test checks.
        let spun = proof.outcome.category == Some(crate::engine::category::Category::BusyWait)
            || proof.outcome.message.contains("exceeded max_steps bound");
        match proof.outcome.status {
            TestStatus::NotRun => continue,
            _ if spun => continue,
            TestStatus::Passed => {
                if pass_settles {
                    tests[i].settled = Settled::Explored { by: by.to_string() };
                }
                continue;
            }
            TestStatus::Failed | TestStatus::TimedOut | TestStatus::Crashed => {}
        }
        let message = format!(
            "passed on real threads, but `{by}` found a schedule that breaks what this test checks, so it \
             counts as failed: it passed here by luck of the schedule.\n{}",
            proof.outcome.message
        );
        let proof = proof.outcome.clone();
        let t = &mut tests[i];
        t.outcome = TestOutcome {
            name: t.outcome.name.clone(),
            weight: t.outcome.weight,
            duration: t.outcome.duration,
            cpu: t.outcome.cpu,
            status: TestStatus::Failed,
            message,
            ..proof
        };
        t.settled = Settled::Proven { by: by.to_string() };
    }
}

struct Task {
    exercise: usize,
    /// Index in its exercise's judgement.
    test: usize,
    /// The share of a core one run takes, from the first run.
    share: f64,
    /// Runs started (finished or going).
    started: u32,
    running: u32,
    /// Failed, or every wanted run finished.
    done: bool,
    /// Which scratch copies (`<test>.<k>`) are in use.
    copies: Vec<bool>,
}

type Finished = (usize, usize, Result<Option<TestOutcome>>);

fn run_tasks(exercises: &mut [Exercise], tasks: &mut [Task], wanted: u32, means: &Means) -> Result<()> {
    let cancel = AtomicBool::new(false);
    let views: Vec<(&Subject, &HiddenTests)> = exercises.iter().map(|e| (e.subject, e.built)).collect();
    let names: Vec<String> =
        tasks.iter().map(|t| exercises[t.exercise].judgement.tests[t.test].outcome.name.clone()).collect();
    let mut results: Vec<Vec<TestOutcome>> = tasks.iter().map(|_| Vec::new()).collect();
    let mut error = None;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<Finished>();
        let (mut load, mut running) = (0.0, 0usize);
        loop {
            if means.deadline.is_some_and(|d| Instant::now() >= d) {
                cancel.store(true, Ordering::SeqCst);
            }
            while !cancel.load(Ordering::SeqCst) && error.is_none() {
                let Some(k) = next_task(tasks, wanted) else { break };
                let task = &mut tasks[k];
                let fits = load + task.share <= (means.cpus)().max(0.05) && running < MOST_AT_ONCE;
                if running > 0 && !fits {
                    break;
                }
                let copy = task.copies.iter().position(|used| !used).unwrap_or(task.copies.len());
                if copy == task.copies.len() {
                    task.copies.push(true);
                } else {
                    task.copies[copy] = true;
                }
                task.started += 1;
                task.running += 1;
                load += task.share;
                running += 1;
                let (subject, built) = views[task.exercise];
                let name = names[k].as_str();
                let (tx, cancel) = (tx.clone(), &cancel);
                s.spawn(move || {
                    let (course, ex) = (subject.course, subject.ex);
                    let dir = subject.scratch.join(format!("{name}.{copy}"));
                    let outcome = runner::run_one(
                        course,
                        &subject.code,
                        &built.tier.binary,
                        name,
                        course.timeout(ex, name),
                        &dir,
                        Some(cancel),
                    );
                    let _ = tx.send((k, copy, outcome));
                });
            }
            if running == 0 {
                break;
            }
            let finished = match means.deadline {
                Some(d) if !cancel.load(Ordering::SeqCst) => {
                    match rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                        Ok(f) => f,
                        Err(_) => {
                            cancel.store(true, Ordering::SeqCst);
                            continue;
                        }
                    }
                }
                _ => rx.recv().expect("a run's thread always reports"),
            };
            let (k, copy, outcome) = finished;
            let task = &mut tasks[k];
            task.running -= 1;
            task.copies[copy] = false;
            load -= task.share;
            running -= 1;
            match outcome {
                Err(e) => {
                    error.get_or_insert(e);
                    cancel.store(true, Ordering::SeqCst);
                }
                // Killed at the deadline: no verdict, and not a run.
                Ok(None) => task.started -= 1,
                Ok(Some(o)) => {
                    if !task.done {
                        if o.status != TestStatus::Passed {
                            task.done = true;
                        }
                        results[k].push(o);
                    }
                    if results[k].len() as u32 >= wanted {
                        task.done = true;
                    }
                }
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    for (k, task) in tasks.iter().enumerate() {
        let judgement = &mut *exercises[task.exercise].judgement;
        let ran = results[k].len() as u32;
        judgement.test_cpu += results[k].iter().map(|o| o.cpu).sum::<Duration>();
        let t = &mut judgement.tests[task.test];
        t.runs += ran;
        t.settled = Settled::Confirmed { wanted, ran };
        if let Some(failure) = results[k].iter().find(|o| o.status != TestStatus::Passed) {
            t.outcome = TestOutcome { weight: t.outcome.weight, ..failure.clone() };
        }
    }
    Ok(())
}

/// The task whose next run should start: not done, with runs still to
/// start and a copy free, and the fewest started (so a deadline leaves
/// every test about as confirmed as the others).
fn next_task(tasks: &[Task], wanted: u32) -> Option<usize> {
    tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.done && t.started < wanted && t.running < MOST_COPIES)
        .min_by_key(|(_, t)| t.started)
        .map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_the_fewest_that_meet_the_guarantee() {
        let runs = |q, p| Policy { catch_rate: q, miss_chance: p }.runs();
        assert_eq!(runs(0.1, 0.01), 44);
        assert_eq!(runs(0.5, 0.001), 10);
        assert_eq!(runs(0.2, 0.001), 31);
        for (q, p) in [(0.1, 0.01), (0.05, 0.001), (0.3, 0.0001)] {
            let n = runs(q, p) as i32;
            assert!((1.0f64 - q).powi(n) <= p, "{n} runs miss a {q} mistake too often");
            assert!((1.0f64 - q).powi(n - 1) > p, "{n} runs are more than the guarantee needs");
        }
        assert_eq!(runs(0.1, 1.0), 0, "no confirmation asked for");
    }

    #[test]
    fn the_guarantee_reads_as_percentages() {
        let policy = Policy { catch_rate: 0.1, miss_chance: 0.01 };
        assert_eq!(
            policy.guarantee(),
            "a mistake that a test catches in at least 10% of its runs is missed with probability at most 1%"
        );
    }

    fn judged(name: &str, origin: Origin, status: TestStatus) -> crate::engine::judge::Judged {
        let outcome = TestOutcome {
            name: name.into(),
            status,
            message: format!("{name} said so"),
            location: None,
            category: None,
            duration: Duration::from_millis(10),
            cpu: Duration::from_millis(5),
            learner_panics: Vec::new(),
            weight: 2.0,
            output_bytes: 0,
            stderr_tail: String::new(),
        };
        crate::engine::judge::Judged { outcome, origin, runs: 1, settled: Settled::FirstRun }
    }

    #[test]
    fn an_explored_test_settles_the_hidden_tests_that_name_it_both_ways() {
        let info = r#"
            name = "counter"
            dir = "04_counter"
            [tests.adds_up]
            explored_by = "explored_adds_up"
            [tests.never_passes_the_limit]
            explored_by = "explored_limit"
            [tests.not_run_tier]
            explored_by = "explored_absent"
            [tests.no_spin_check]
            explored_by = "explored_spun"
            [tests.no_spin_check_either]
            explored_by = "explored_out_of_steps"
            [tests.part_of_it_failed]
            fails_with = "explored_adds_up"
            [tests.part_of_it_passed]
            fails_with = "explored_limit"
        "#;
        let exercise: crate::engine::course::Exercise = toml::from_str(info).unwrap();
        let course =
            Course { root: "/nowhere".into(), defaults: Default::default(), exercises: vec![exercise.clone()] };
        let mut judgement = Judgement {
            tests: vec![
                judged("adds_up", Origin::Hidden, TestStatus::Passed),
                judged("never_passes_the_limit", Origin::Hidden, TestStatus::Passed),
                judged("not_run_tier", Origin::Hidden, TestStatus::Passed),
                judged("explored_adds_up", Origin::Explored, TestStatus::Failed),
                judged("no_spin_check", Origin::Hidden, TestStatus::Passed),
                judged("part_of_it_failed", Origin::Hidden, TestStatus::Passed),
                judged("part_of_it_passed", Origin::Hidden, TestStatus::Passed),
                judged("no_spin_check_either", Origin::Hidden, TestStatus::Passed),
                {
                    let mut cut_off = judged("explored_out_of_steps", Origin::Explored, TestStatus::Failed);
                    cut_off.outcome.message = "under PCT, this schedule failed: exceeded max_steps bound 1000000. \
                                               this might be caused by an unfair schedule (e.g., a spin loop)?"
                        .into();
                    cut_off.outcome.category = Some(crate::engine::category::Category::LostWakeup);
                    cut_off
                },
                judged("explored_limit", Origin::Explored, TestStatus::Passed),
                {
                    let mut spun = judged("explored_spun", Origin::Explored, TestStatus::Failed);
                    spun.outcome.category = Some(crate::engine::category::Category::BusyWait);
                    spun
                },
            ],
            test_cpu: Duration::ZERO,
        };
        settle_by_exploration(&course, &exercise, &mut judgement);
        let find = |name: &str| judgement.tests.iter().find(|t| t.outcome.name == name).unwrap();
        let (adds_up, limit, absent) = (find("adds_up"), find("never_passes_the_limit"), find("not_run_tier"));
        let no_spin_check = find("no_spin_check");
        assert_eq!(adds_up.outcome.status, TestStatus::Failed, "its explored test broke its property");
        assert_eq!(adds_up.settled, Settled::Proven { by: "explored_adds_up".into() });
        assert_eq!(adds_up.outcome.weight, 2.0, "it keeps its own weight");
        assert!(adds_up.outcome.message.contains("explored_adds_up said so"), "{}", adds_up.outcome.message);
        assert_eq!(limit.outcome.status, TestStatus::Passed);
        assert_eq!(limit.settled, Settled::Explored { by: "explored_limit".into() });
        assert_eq!(absent.settled, Settled::FirstRun, "no explored verdict, nothing settled: it will be confirmed");
        assert_eq!(no_spin_check.outcome.status, TestStatus::Passed, "spinning breaks no property of its own");
        assert_eq!(no_spin_check.settled, Settled::FirstRun);
        assert_eq!(find("no_spin_check_either").outcome.status, TestStatus::Passed, "out of steps is spinning too");
        assert_eq!(find("part_of_it_failed").settled, Settled::Proven { by: "explored_adds_up".into() });
        assert_eq!(find("part_of_it_failed").outcome.status, TestStatus::Failed);
        assert_eq!(find("part_of_it_passed").settled, Settled::FirstRun, "a fails_with twin's pass settles nothing");
    }

    fn task(started: u32, running: u32, done: bool) -> Task {
        Task { exercise: 0, test: 0, share: 0.1, started, running, done, copies: Vec::new() }
    }

    #[test]
    fn the_next_run_goes_to_the_least_confirmed_test_that_still_needs_runs() {
        let tasks = [task(5, 0, false), task(2, 0, true), task(3, 1, false), task(3, 0, false)];
        assert_eq!(next_task(&tasks, 10), Some(2));
        let tasks = [task(10, 0, false), task(4, MOST_COPIES, false)];
        assert_eq!(next_task(&tasks, 10), None, "every run started, or every copy busy");
    }
}
