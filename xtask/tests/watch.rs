//! `watch` re-checks an exercise when its sources are saved.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;
use support::{FixtureCourse, course_root};

#[test]
fn watch_rechecks_the_exercise_that_was_saved() {
    let course = FixtureCourse::new();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .arg("--root")
        .arg(course.path())
        .args(["watch", "good"])
        .env("THREADWORK_TARGET_DIR", course_root().join("target/threadwork/target"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Generous: the first check may compile.
    let wait_for = |needle: &str| -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    };
    let first = wait_for("✓ good passes") && wait_for("Watching");
    let lib = course.path().join("exercises/03_good/src/lib.rs");
    std::fs::write(&lib, "/// Doubles `x`.\npub fn double(x: u32) -> u32 {\n    x * 3\n}\n").unwrap();
    let second = first && wait_for("✗ good: 2 of 3 hidden tests pass");
    let _ = child.kill();
    let _ = child.wait();
    assert!(first, "watch checks the exercise it starts on");
    assert!(second, "watch re-checks it after a save and reports the new failure");
}
