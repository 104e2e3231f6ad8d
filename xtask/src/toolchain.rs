//! The Rust toolchain this machine builds with, as `rustc --version` says it:
//! `grade` and `bench` record the whole line, and `gradescope-bundle` pins
//! the version number it holds.

use anyhow::{Result, bail};

/// `rustc --version`'s line (`rustc 1.95.0 (<commit> <date>)`), run with
/// `$RUSTC` when set, as cargo would; `unknown` when it cannot be run.
pub fn version_line() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The version number alone (`1.95.0`), from [`version_line`], or an error
/// quoting the line when it does not hold one: what the Gradescope bundle
/// writes for its setup.sh to install the same toolchain.
pub fn version() -> Result<String> {
    let line = version_line();
    match line.split_whitespace().nth(1) {
        Some(version) if line.starts_with("rustc ") => Ok(version.to_string()),
        _ => bail!("cannot tell the rustc version (`rustc --version` said {line:?})"),
    }
}
