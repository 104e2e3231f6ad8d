//! The layers around learner code (issue 6), seen from outside: the fixture
//! course's `mixed` exercise attacks the network, the disk and the memory,
//! and `doctor` and `report.json` say which layers are on.

mod support;

use std::io::ErrorKind;
use support::{FixtureCourse, json_lines, test_line};

fn doctor(course: &FixtureCourse) -> serde_json::Value {
    let output = course.xtask().args(["doctor", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn learner_code_cannot_phone_home_fill_the_disk_or_hoard_memory() {
    let course = FixtureCourse::new();
    let layers = doctor(&course);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let output = course
        .xtask()
        .args(["check", "mixed", "--format", "json"])
        .env("FIXTURE_PORT", port.to_string())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output.stdout);
    let status = |name: &str| test_line(&lines, name)["status"].as_str().unwrap().to_string();

    // The network: the test ran (and passed: it ignores the outcome), but
    // nothing reached the port it was given.
    assert_eq!(status("phones_home"), "passed");
    listener.set_nonblocking(true).unwrap();
    let reached = listener.accept();
    if layers["no_network"]["on"] == true {
        assert!(
            matches!(&reached, Err(e) if e.kind() == ErrorKind::WouldBlock),
            "a test connected to a port on loopback: {reached:?}"
        );
    } else {
        // Off here (not root): say so, and the connection is what shows it.
        assert!(layers["no_network"]["note"].as_str().unwrap().contains("root"));
        assert!(reached.is_ok(), "no_network is reported off, yet nothing connected");
    }

    // The disk: the write beyond the limit kills the test; the file stops there.
    assert_eq!(status("fills_the_disk"), "crashed");
    let fill = course.path().join("target/threadwork/runs/01_mixed/fills_the_disk/fill");
    let size = std::fs::metadata(&fill).map(|m| m.len()).unwrap_or(0);
    assert!(size <= 64 << 20, "the test wrote {size} bytes, over the 64 MiB limit");
    assert!(layers["file_size_limit"]["on"] == true);

    // The memory: 6 GiB is over the 4 GiB address space, so the allocation
    // fails and Rust aborts, instead of the machine swapping.
    assert_eq!(status("hoards_memory"), "crashed");
    let message = test_line(&lines, "hoards_memory")["message"].as_str().unwrap().to_string();
    let tail = test_line(&lines, "hoards_memory")["stderr_tail"].as_str().unwrap_or_default().to_string();
    assert!(
        message.contains("memory allocation") || tail.contains("memory allocation"),
        "the allocation should have failed: {message}\n{tail}"
    );
}

#[test]
fn doctor_names_every_layer_on_or_off_and_grade_records_them() {
    let course = FixtureCourse::new();
    let layers = doctor(&course);
    let layers = layers.as_object().unwrap();
    for name in [
        "process_per_test",
        "timeout_kills_process_group",
        "output_bounded",
        "core_dumps_off",
        "file_size_limit",
        "open_files_limit",
        "address_space_limit",
        "cpu_time_limit",
        "no_network",
        "process_count_limit",
        "files_confined",
    ] {
        let layer = &layers[name];
        assert!(layer["on"].is_boolean(), "{name}: {layer}");
        assert!(!layer["note"].as_str().unwrap().is_empty(), "{name} says nothing");
    }
    let human = course.xtask().arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("no_network") && text.contains("layers on"), "{text}");

    // grade records the same layers in report.json (on a course without
    // the exercises that exist to misbehave under check).
    let info = course.path().join("exercises/info.toml");
    let mut table: toml::Table = std::fs::read_to_string(&info).unwrap().parse().unwrap();
    table["exercise"].as_array_mut().unwrap().retain(|e| !matches!(e["name"].as_str(), Some("mixed" | "broken")));
    std::fs::write(&info, toml::to_string(&table).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("alice/exercises/03_good/src");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("lib.rs"), "pub fn double(x: u32) -> u32 { x * 2 }\n").unwrap();
    let out = tmp.path().join("out");
    let graded = course.xtask().arg("grade").arg(tmp.path().join("alice")).arg("--out").arg(&out).output().unwrap();
    assert!(graded.status.success(), "{}", String::from_utf8_lossy(&graded.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for (name, layer) in layers {
        assert_eq!(report["run"]["sandbox"][name], layer["on"], "{name}");
    }
}
