//! Intake, the first stage of `cargo xtask grade`: which submissions the
//! command line names ([`discover`]), and what is taken from each one
//! ([`unpack`]).
//!
//! Only the `.rs` files under `exercises/NN_name/src/` of the course's own
//! exercises are taken. A learner's manifests, build scripts, `target/` and
//! `.git/` are never read into the grader, so a submission cannot change how it
//! is built, only the code that is built.
//!
//! Submissions are untrusted. Nothing is written outside `staging/<id>/`,
//! links are never followed out of a submission, archives are bounded (see
//! [`LIMITS`]), and every problem with one submission is an
//! [`InvalidSubmission`] with a one-line reason for the learner, so one bad
//! submission never stops the batch.
//!
//! Choices the issue left open:
//! - **Links in archives.** A symlink or hard link whose target leaves the
//!   archive (absolute, a drive letter, or more `..` than it has folders above
//!   it) makes the submission invalid wherever it is. A link on the way to or
//!   inside the taken files (`exercises/`, `exercises/NN_name/`, its `src/`
//!   and below) is invalid even when it stays inside: a link there would stand
//!   for a file the learner thinks they sent, and silently dropping it would
//!   grade them on less than that. Other links are ignored, never followed.
//! - **Links in folders.** Followed only when they resolve inside the
//!   submission folder; one under `exercises/` resolving outside makes the
//!   submission invalid before anything is read through it. A link to nothing
//!   carries no code and is ignored; a link back up to a folder being walked
//!   is not walked again.
//! - **Hidden names** (starting with `.`) under `src/` are ignored: no module
//!   can have such a name, and they are what editors and macOS leave behind
//!   (`.#lib.rs` lock links, `._lib.rs` resource forks). Hidden entries of a
//!   folder of many submissions are skipped too (`.git`, `.DS_Store`).
//! - **Names.** `\` is a separator in archive names, as Windows tools write
//!   it, so `..\x` is caught as `..`. A name with a `..` component, a leading
//!   `/` or `\`, a drive letter or a NUL byte makes the submission invalid
//!   wherever it is. Names under `src/` must also be UTF-8 without control
//!   characters; odd names elsewhere are ignored with the rest of what is not
//!   taken, so a stray file in `target/` cannot cost a learner their grade.
//!
//! The code follows a submission's way in: `discovery` (the command line into
//! candidates), `unpacking` (a candidate into `staging/<id>/`, with the bounds
//! and the rules for what is taken), then the readers it calls: `folder`, and
//! for archives `listed` (the checks and the plan made from an archive's
//! listing alone) with `zip_archive` and `tar_gz`, which list and read.

mod discovery;
mod folder;
mod listed;
mod tar_gz;
#[cfg(test)]
mod testing;
mod unpacking;
mod zip_archive;

pub use discovery::discover;
pub use unpacking::unpack;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Bounds against archive bombs and runaway folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// One taken file.
    pub file_bytes: u64,
    /// All taken files of one submission together.
    pub taken_bytes: u64,
    /// Entries of an archive (files, folders, links, taken or not), or entries
    /// walked under the `src/` folders of a folder submission.
    pub entries: usize,
    /// What a `.tar.gz` may unpack to in all, taken or not. A gzip stream must
    /// be decompressed to reach the next entry, so one huge ignored entry would
    /// otherwise cost minutes. Zip archives need no such bound: their ignored
    /// entries are never decompressed.
    pub archive_bytes: u64,
}

/// The bounds `grade` uses.
pub const LIMITS: Limits =
    Limits { file_bytes: 1 << 20, taken_bytes: 16 << 20, entries: 10_000, archive_bytes: 1 << 30 };

/// One submission found on the command line, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The entry's file name without its extension.
    pub id: String,
    /// The path it is read from, as given on the command line (or joined to
    /// the folder of many that held it).
    pub source: PathBuf,
    pub kind: Kind,
    /// Why this candidate cannot be graded whatever it holds (its id is shared
    /// with another candidate, its name is not UTF-8). [`unpack`] returns it
    /// as the [`InvalidSubmission`], so it reaches the report like any other.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Folder,
    Zip,
    TarGz,
}

impl Kind {
    /// The archive kind a file name says, and the name without its extension.
    /// Case does not matter: Windows users send `.ZIP`.
    fn of_archive(name: &str) -> Option<(Kind, &str)> {
        let lower = name.to_ascii_lowercase();
        [(".tar.gz", Kind::TarGz), (".tgz", Kind::TarGz), (".zip", Kind::Zip)]
            .into_iter()
            .find(|(ext, _)| lower.len() > ext.len() && lower.ends_with(ext))
            // The extension is ASCII, so its length in `name` is the same.
            .map(|(ext, kind)| (kind, &name[..name.len() - ext.len()]))
    }
}

/// What was taken from one submission.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub id: String,
    /// `staging/<id>/`, laid out as `exercises/NN_name/src/**.rs`.
    pub root: PathBuf,
    /// Exercise folder (`04_counter`) to its `src` folder inside `root`, for
    /// each exercise that has at least one `.rs` file.
    pub exercises: BTreeMap<String, PathBuf>,
    /// Hex sha256 of the taken files (see [`content_hash`]): the cache key, the
    /// same whether the checkout came as a folder, a zip or a tar.gz.
    pub content_hash: String,
}

/// Why a submission cannot be graded, in one line the learner can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSubmission(pub String);

impl std::fmt::Display for InvalidSubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidSubmission {}

/// sha256 over the taken files in path order: each file's relative path, a 0
/// byte, its length as 8 little-endian bytes, its contents. The length makes
/// the encoding unambiguous, so no two different sets of files share an input.
pub fn content_hash(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for (path, contents) in files {
        hasher.update(path.as_bytes());
        hasher.update([0u8]);
        hasher.update((contents.len() as u64).to_le_bytes());
        hasher.update(contents);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds an [`InvalidSubmission`], keeping it on one line whatever an
/// underlying error's text holds.
fn invalid(message: impl Into<String>) -> InvalidSubmission {
    InvalidSubmission(message.into().replace(['\n', '\r'], " "))
}

/// A name for a message: lossy, escaped onto one line, and cut short.
fn show(raw: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(raw).escape_debug().collect();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
