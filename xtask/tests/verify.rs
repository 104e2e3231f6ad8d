//! `verify` on a fixture exercise with one mutant that dies and one that
//! cannot (it is equivalent to the solution).

mod support;

use support::FixtureCourse;

#[test]
fn verify_reports_stub_solution_and_each_mutant_and_fails_on_a_survivor() {
    let course = FixtureCourse::new();
    let output =
        course.xtask().args(["verify", "halve", "--runs", "2", "--no-load", "--format", "json"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a surviving mutant fails verify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["format_version"], 1);
    let ex = &report["exercises"][0];
    assert_eq!(ex["name"], "halve");
    assert_eq!(ex["stub_failed"], true);
    assert_eq!(ex["solution_runs"], 2);
    assert_eq!(ex["solution_passed_all"], true);
    assert!(ex["cpu_seconds"].as_f64().unwrap() >= 0.0);
    let mutants = ex["mutants"].as_array().unwrap();
    let by_name = |n: &str| mutants.iter().find(|m| m["name"] == n).unwrap().clone();
    let rounds_up = by_name("rounds_up");
    assert_eq!((rounds_up["runs"].as_u64(), rounds_up["killed_runs"].as_u64()), (Some(2), Some(2)));
    assert_eq!(rounds_up["killed_by"], serde_json::json!(["rounds_odd_down"]));
    assert_eq!(rounds_up["mistake"], "rounds up instead of down");
    assert_eq!(rounds_up["category"], "wrong_result");
    assert_eq!(
        (rounds_up["named_runs"].as_u64(), &rounds_up["killed_as"]),
        (Some(2), &serde_json::json!(["wrong_result"]))
    );
    let shift = by_name("equivalent_shift");
    assert_eq!(shift["killed_runs"], 0);
    // A panic in the code under test is named `panic` by the runner.
    let panics = by_name("panics_on_odd");
    assert_eq!((panics["killed_runs"].as_u64(), panics["named_runs"].as_u64()), (Some(2), Some(2)));
    assert_eq!(panics["killed_as"], serde_json::json!(["panic"]));
    // Killed, but not as the mistake it stands for: a problem of its own.
    let misnamed = by_name("rounds_up_named_as_another_mistake");
    assert_eq!((misnamed["killed_runs"].as_u64(), misnamed["named_runs"].as_u64()), (Some(2), Some(0)));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "halve: mutant rounds_up_named_as_another_mistake is a `lost_update` mistake, but in 2 of 2 runs no \
             failure said so (its failures: wrong_result)"
        ),
        "{stderr}"
    );
    // Without --first-kill every test runs to its verdict, the hang included.
    let hangs = by_name("breaks_even_and_hangs_on_odd");
    assert_eq!(hangs["killed_runs"], 2);
    assert_eq!(hangs["killed_by"], serde_json::json!(["halves_even", "rounds_odd_down"]));
}

#[test]
fn first_kill_ends_a_mutant_run_at_its_first_failing_test() {
    let course = FixtureCourse::new();
    // Two jobs: both tests start together; `halves_even` fails at once while
    // `rounds_odd_down` hangs towards its 10 s timeout. Had the run not been
    // ended, the hang would be reported as a timeout among the killers.
    let output = course
        .xtask()
        .args(["verify", "halve", "--runs", "1", "--no-load", "--first-kill", "--jobs", "2", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["first_kill"], true);
    let mutants = report["exercises"][0]["mutants"].as_array().unwrap();
    let hangs = mutants.iter().find(|m| m["name"] == "breaks_even_and_hangs_on_odd").unwrap();
    assert_eq!(hangs["killed_runs"], 1);
    assert_eq!(hangs["killed_by"], serde_json::json!(["halves_even"]));
    // The survivor is still a survivor, and said so on stderr.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("halve: mutant equivalent_shift survived 1 of 1 runs"), "{stderr}");
}

#[test]
fn verify_in_words_names_the_survivor() {
    let course = FixtureCourse::new();
    let output = course.xtask().args(["verify", "halve", "--runs", "1", "--no-load"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("equivalent_shift: SURVIVED 0/1"), "{text}");
    assert!(text.contains("rounds_up: killed 1/1 as wrong_result 1/1"), "{text}");
    assert!(
        text.contains("rounds_up_named_as_another_mistake: killed AS ANOTHER MISTAKE 1/1 as lost_update 0/1"),
        "{text}"
    );
    assert!(text.contains("verify FAILED"), "{text}");
    assert!(text.contains("  halve: mutant equivalent_shift survived 1 of 1 runs (a shift, which is the same thing (no test can kill it))"), "{text}");
}
