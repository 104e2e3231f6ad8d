//! Exit codes, documented in README.md. They say whether the learner's code
//! passed or whether the tool itself failed, never both at once.

/// Every checked exercise passed, or the command did what it was asked.
pub const OK: i32 = 0;
/// At least one checked exercise failed: the learner has work to do.
pub const EXERCISE_FAILED: i32 = 1;
/// The command line was wrong (clap's own code for usage errors).
pub const USAGE: i32 = 2;
/// The tool could not do its job: cargo missing, a broken course, an I/O error.
pub const INTERNAL: i32 = 3;

/// An error in what the user asked for (an unknown exercise, a missing
/// confirmation), as opposed to the tool failing: exits with [`USAGE`].
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}
