//! The layers around learner code, seen from outside: the fixture
//! course's `mixed` exercise attacks the network, the disk and the memory,
//! and `doctor` and `report.json` say which layers are on.

mod support;

use std::io::ErrorKind;
use support::{FixtureCourse, json_lines, test_line};

fn doctor(course: &FixtureCourse) -> serde_json::Value {
    doctor_with(course, "")
}

/// `doctor --json` with the layers in `off` (THREADWORK_SANDBOX_OFF) switched off.
fn doctor_with(course: &FixtureCourse, off: &str) -> serde_json::Value {
    let output = course.xtask().args(["doctor", "--json"]).env("THREADWORK_SANDBOX_OFF", off).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `check mixed` with a listener on loopback whose port `phones_home` is
/// given, and the layers in `off` switched off: its JSON lines, and what
/// the listener accepted once the check was over.
fn check_mixed_beside_a_listener(
    course: &FixtureCourse,
    off: &str,
) -> (Vec<serde_json::Value>, std::io::Result<(std::net::TcpStream, std::net::SocketAddr)>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let output = course
        .xtask()
        .args(["check", "mixed", "--format", "json"])
        .env("FIXTURE_PORT", port.to_string())
        .env("THREADWORK_SANDBOX_OFF", off)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{off}");
    listener.set_nonblocking(true).unwrap();
    (json_lines(&output.stdout), listener.accept())
}

#[test]
fn learner_code_cannot_phone_home_fill_the_disk_or_hoard_memory() {
    let course = FixtureCourse::new();
    let layers = doctor(&course);
    let (lines, reached) = check_mixed_beside_a_listener(&course, "");
    let status = |name: &str| test_line(&lines, name)["status"].as_str().unwrap().to_string();

    // The network: the test ran (and passed: it ignores the outcome), but
    // nothing reached the port it was given.
    assert_eq!(status("phones_home"), "passed");
    if layers["no_network"]["on"] == true {
        assert!(
            matches!(&reached, Err(e) if e.kind() == ErrorKind::WouldBlock),
            "a test connected to a port on loopback: {reached:?}"
        );
    } else {
        // Off here: say so, and the connection is what shows it.
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
        "timeout_kills_process_tree",
        "output_bounded",
        "core_dumps_off",
        "file_size_limit",
        "open_files_limit",
        "address_space_limit",
        "cpu_time_limit",
        "no_network",
        "process_count_limit",
        "files_confined",
        "signals_scoped",
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

/// A machine without some layer (no root for a network namespace, an old
/// kernel without Landlock, no cgroup): the layer is reported off with the
/// reason, the fallback that stands in is reported on, and what is reported
/// is what holds. Layers are switched off here with THREADWORK_SANDBOX_OFF.
#[test]
fn each_fallback_is_reported_and_holds_what_it_claims() {
    let course = FixtureCourse::new();
    let all = doctor(&course);
    for off in ["netns", "netns,landlock", "landlock,cgroup,nproc"] {
        let layers = doctor_with(&course, off);
        if off.contains("landlock") {
            for name in ["files_confined", "signals_scoped"] {
                assert_eq!(layers[name]["on"], false, "{off}: {name}");
            }
            assert!(layers["files_confined"]["note"].as_str().unwrap().contains("switched off"), "{off}");
        }
        if off.contains("cgroup") && off.contains("nproc") {
            assert_eq!(layers["process_count_limit"]["on"], false, "{off}");
            assert!(layers["process_count_limit"]["note"].as_str().unwrap().contains("timeout"), "{off}");
        }
        // Without a network namespace, Landlock's TCP rules stand in where
        // the kernel has them (ABI 4).
        let landlock_net = !off.contains("landlock")
            && all["files_confined"]["note"]
                .as_str()
                .unwrap()
                .split("ABI ")
                .nth(1)
                .and_then(|v| v[..1].parse::<u32>().ok())
                >= Some(4);
        let netns_here = all["no_network"]["note"].as_str().unwrap().contains("network namespace of its own");
        let expect_no_network = (!off.contains("netns") && netns_here) || landlock_net;
        assert_eq!(layers["no_network"]["on"], expect_no_network, "{off}: {}", layers["no_network"]);

        let (lines, reached) = check_mixed_beside_a_listener(&course, off);
        assert_eq!(test_line(&lines, "phones_home")["status"], "passed", "{off}");
        assert_eq!(test_line(&lines, "passes")["status"], "passed", "{off}");
        assert_eq!(
            reached.is_err(),
            expect_no_network,
            "{off}: no_network is {}, and the test {} the listener",
            layers["no_network"]["on"],
            if reached.is_ok() { "reached" } else { "did not reach" }
        );
    }
}
