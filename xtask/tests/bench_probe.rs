//! The benchmark's probes (`xtask/src/bench/probe.rs`): the xtask binary,
//! started as `rustc-probe`, runs the real rustc, passes its exit code on,
//! and logs one entry per compilation with wall and CPU time.

use std::path::Path;

fn install_probe(dir: &Path) -> std::path::PathBuf {
    let probe = dir.join("rustc-probe");
    std::fs::copy(assert_cmd::cargo::cargo_bin("xtask"), &probe).unwrap();
    probe
}

fn log_entries(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("probe.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_rustc_probe_times_a_compilation_and_keeps_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let probe = install_probe(dir.path());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    std::fs::write(dir.path().join("good.rs"), "pub fn add(a: u32, b: u32) -> u32 { a + b }\n").unwrap();
    std::fs::write(dir.path().join("bad.rs"), "pub fn add(a: u32) -> u32 { a + \"b\" }\n").unwrap();
    let compile = |file: &str, name: &str| {
        std::process::Command::new(&probe)
            .arg(&rustc)
            .args(["--crate-name", name, "--crate-type", "lib", "--emit", "metadata", "--out-dir"])
            .arg(dir.path())
            .arg(dir.path().join(file))
            .output()
            .unwrap()
    };

    let good = compile("good.rs", "good");
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    let bad = compile("bad.rs", "bad");
    assert_eq!(bad.status.code(), Some(1), "rustc's own exit code comes back through the probe");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("error"), "rustc's messages come through too");
    // Asking rustc for its version is not a compilation.
    let version = std::process::Command::new(&probe).arg(&rustc).arg("-vV").output().unwrap();
    assert!(version.status.success());

    let entries = log_entries(dir.path());
    let crates: Vec<&str> = entries.iter().map(|e| e["krate"].as_str().unwrap()).collect();
    assert_eq!(crates, ["good", "bad"]);
    for entry in &entries {
        assert_eq!(entry["kind"], "rustc");
        assert!(entry["source"].as_str().unwrap().ends_with(".rs"));
        assert!(entry["pid"].as_i64().unwrap() > 0);
        assert!(entry["cpu_ms"].as_u64().unwrap() <= entry["wall_ms"].as_u64().unwrap() * 4 + 50);
    }
}
