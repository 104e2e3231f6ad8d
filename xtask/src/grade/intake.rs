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

use anyhow::Context;
use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use crate::exit::Usage;

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

/// Longest link target read from a zip (where it is the entry's contents).
const MAX_LINK_TARGET: u64 = 4096;

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

/// Builds an [`InvalidSubmission`], keeping it on one line whatever an
/// underlying error's text holds.
fn invalid(message: impl Into<String>) -> InvalidSubmission {
    InvalidSubmission(message.into().replace(['\n', '\r'], " "))
}

// ---------------------------------------------------------------------------
// Discovery

/// Expands the command line into candidates, sorted by id (then source).
///
/// Each argument is a submission (a folder, `.zip`, `.tar.gz` or `.tgz`) or a
/// folder holding many, one per entry (subfolder or archive; other files and
/// hidden entries are skipped). See [`is_one_checkout`] for how a folder is
/// told apart. Candidates sharing an id are all kept, each with a `problem`:
/// which one is the learner's cannot be guessed. A path that does not exist, or
/// a file that is not an archive, is a usage error of the whole command.
pub fn discover(args: &[PathBuf]) -> anyhow::Result<Vec<Candidate>> {
    let mut found = Vec::new();
    for arg in args {
        let meta = fs::metadata(arg).map_err(|e| Usage(format!("cannot read {}: {e}", arg.display())))?;
        if meta.is_dir() {
            if is_one_checkout(arg) {
                let name = match arg.file_name() {
                    Some(name) => name.to_os_string(),
                    // `.` or `..`: the folder's own name.
                    None => fs::canonicalize(arg)
                        .ok()
                        .and_then(|p| p.file_name().map(OsStr::to_os_string))
                        .ok_or_else(|| Usage(format!("{} has no name to use as a submission id", arg.display())))?,
                };
                found.push(candidate(arg.clone(), &name, Kind::Folder));
            } else {
                let inside = entries_of(arg)?;
                if inside.is_empty() {
                    return Err(Usage(format!(
                        "{} holds no submission: no exercises/ at its top or one folder down, and no folders or \
                         archives in it",
                        arg.display()
                    ))
                    .into());
                }
                found.extend(inside);
            }
        } else {
            let name = arg.file_name().unwrap_or_default();
            match archive_kind(name) {
                Some(kind) if meta.is_file() => found.push(candidate(arg.clone(), name, kind)),
                _ => {
                    return Err(Usage(format!(
                        "{} is neither a folder nor a .zip, .tar.gz or .tgz archive",
                        arg.display()
                    ))
                    .into());
                }
            }
        }
    }
    // The same path named twice (`grade class class/alice`) is one submission.
    found.sort_by(|a, b| (&a.id, &a.source).cmp(&(&b.id, &b.source)));
    found.dedup_by(|a, b| a.source == b.source);
    mark_shared_ids(&mut found);
    Ok(found)
}

/// The archive kind of a file name, read leniently (a name that is not UTF-8
/// is still a zip; [`candidate`] reports the name).
fn archive_kind(name: &OsStr) -> Option<Kind> {
    Kind::of_archive(&name.to_string_lossy()).map(|(kind, _)| kind)
}

/// A candidate named by `name`, or one carrying the reason its name cannot be
/// an id (ids become folder names and report keys).
fn candidate(source: PathBuf, name: &OsStr, kind: Kind) -> Candidate {
    let lossy = name.to_string_lossy();
    let stem = match kind {
        Kind::Folder => &*lossy,
        Kind::Zip | Kind::TarGz => Kind::of_archive(&lossy).map_or(&*lossy, |(_, stem)| stem),
    };
    let problem = if name.to_str().is_none() {
        Some(format!("the name `{}` is not UTF-8: rename it", show(lossy.as_bytes())))
    } else if stem.chars().any(char::is_control) {
        Some(format!("the name `{}` has a control character: rename it", show(lossy.as_bytes())))
    } else {
        None
    };
    Candidate { id: stem.to_string(), source, kind, problem }
}

fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn has_exercises(dir: &Path) -> bool {
    dir.join("exercises").is_dir()
}

/// The entries of `dir` that are not hidden, sorted by name.
fn visible_entries(dir: &Path) -> std::io::Result<Vec<(std::ffi::OsString, PathBuf)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        if !is_hidden(&name) {
            let path = dir.join(&name);
            entries.push((name, path));
        }
    }
    entries.sort();
    Ok(entries)
}

/// Whether a folder on the command line is one checkout rather than a folder
/// of many: `exercises/` at its root, or exactly one entry that looks like a
/// submission and that entry is a folder with `exercises/` at its root (the
/// `course-main/` of an unzipped download).
///
/// "Looks like a submission" counts archives and folders with `exercises/` at
/// their root or one folder down, so a class folder holding one unzipped
/// checkout among zips, or among checkouts one folder down, is still a batch:
/// the rule the issue states alone would grade it as one learner and drop the
/// rest. A class folder holding a single learner's folder is still read as
/// that learner's checkout; name the learner's folder itself to be explicit.
fn is_one_checkout(dir: &Path) -> bool {
    if has_exercises(dir) {
        return true;
    }
    let Ok(entries) = visible_entries(dir) else { return false };
    let (mut submissions, mut checkouts) = (0, 0);
    for (name, path) in entries {
        if path.is_dir() {
            if has_exercises(&path) {
                submissions += 1;
                checkouts += 1;
            } else if visible_entries(&path).is_ok_and(|inner| inner.iter().any(|(_, p)| has_exercises(p))) {
                submissions += 1;
            }
        } else if archive_kind(&name).is_some() {
            submissions += 1;
        }
    }
    submissions == 1 && checkouts == 1
}

/// The submissions in a folder of many: each visible subfolder and archive.
fn entries_of(dir: &Path) -> anyhow::Result<Vec<Candidate>> {
    let entries = visible_entries(dir).with_context(|| format!("cannot read the folder {}", dir.display()))?;
    let mut found = Vec::new();
    for (name, path) in entries {
        // Follows links: the grader's own folder may link to submissions.
        let Ok(meta) = fs::metadata(&path) else { continue };
        if meta.is_dir() {
            found.push(candidate(path, &name, Kind::Folder));
        } else if let Some(kind) = archive_kind(&name).filter(|_| meta.is_file()) {
            found.push(candidate(path, &name, kind));
        }
    }
    Ok(found)
}

/// Gives every candidate whose id another one shares a problem naming the
/// others: reports, caches and staging are keyed by id.
fn mark_shared_ids(found: &mut [Candidate]) {
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in found.iter().enumerate() {
        by_id.entry(c.id.clone()).or_default().push(i);
    }
    for group in by_id.values().filter(|g| g.len() > 1) {
        for &i in group {
            let others: Vec<String> =
                group.iter().filter(|&&j| j != i).map(|&j| found[j].source.display().to_string()).collect();
            let message = format!(
                "the id `{}` is also the id of {}: give each submission its own name",
                found[i].id,
                others.join(", ")
            );
            found[i].problem.get_or_insert(message);
        }
    }
}

// ---------------------------------------------------------------------------
// Unpacking

/// Reads a candidate into `staging/<id>/`, replacing what was there.
///
/// The outer error is the grader's own failure (it cannot write `staging`):
/// the batch cannot go on. The inner one is the submission's, for the report:
/// the batch goes on. For an invalid submission nothing is written (and what
/// an earlier run staged under its id is removed); a valid one appears in
/// `staging/<id>/` all at once (staged beside it, then renamed), so a killed
/// run never leaves a half-copied submission there.
pub fn unpack(
    candidate: &Candidate,
    course_dirs: &[String],
    staging: &Path,
) -> anyhow::Result<Result<Unpacked, InvalidSubmission>> {
    unpack_with(candidate, course_dirs, staging, &LIMITS)
}

fn unpack_with(
    candidate: &Candidate,
    course_dirs: &[String],
    staging: &Path,
    limits: &Limits,
) -> anyhow::Result<Result<Unpacked, InvalidSubmission>> {
    let files = match take(candidate, course_dirs, limits) {
        Ok(taken) => taken.files,
        Err(problem) => {
            // What an earlier run staged for this id is not this submission.
            if is_plain_id(&candidate.id) {
                remove_dir_if_present(&staging.join(&candidate.id))?;
            }
            return Ok(Err(problem));
        }
    };
    let root = stage(staging, &candidate.id, &files)?;
    let exercises = files
        .keys()
        .filter_map(|rel| rel.split('/').nth(1))
        .map(|dir| (dir.to_string(), root.join("exercises").join(dir).join("src")))
        .collect();
    Ok(Ok(Unpacked { id: candidate.id.clone(), root, exercises, content_hash: content_hash(&files) }))
}

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

/// Whether an id can name a folder in `staging` (and in the reports): one
/// plain component. `discover` never makes another; a caller might.
fn is_plain_id(id: &str) -> bool {
    let mut parts = Path::new(id).components();
    matches!((parts.next(), parts.next()), (Some(Component::Normal(_)), None)) && !id.contains(['\\', '/'])
}

/// Reads what is taken from a candidate, without writing anything.
fn take(candidate: &Candidate, course_dirs: &[String], limits: &Limits) -> Result<Taken, InvalidSubmission> {
    if let Some(problem) = &candidate.problem {
        return Err(invalid(problem.clone()));
    }
    if !is_plain_id(&candidate.id) {
        return Err(invalid(format!(
            "`{}` cannot be a submission id: it is not a plain name",
            show(candidate.id.as_bytes())
        )));
    }
    let area = TakenArea { dirs: course_dirs.iter().map(|d| d.as_bytes().to_vec()).collect() };
    match candidate.kind {
        Kind::Folder => read_folder(&candidate.source, &area, limits),
        Kind::Zip => read_zip(&candidate.source, &area, limits),
        Kind::TarGz => read_tar_gz(&candidate.source, &area, limits),
    }
}

/// Writes the taken files to `staging/<id>/`, through a sibling folder renamed
/// into place. Every path was checked to be plain relative components; that is
/// checked again here because a slip would write outside staging.
fn stage(staging: &Path, id: &str, files: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<PathBuf> {
    // One name per id, so a run killed mid-way leaves nothing the next run
    // does not clear.
    let partial = staging.join(format!(".{id}.partial"));
    remove_dir_if_present(&partial)?;
    fs::create_dir_all(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    for (rel, contents) in files {
        let rel = Path::new(rel);
        anyhow::ensure!(
            rel.components().all(|c| matches!(c, Component::Normal(_))),
            "intake bug: refusing to stage {}",
            rel.display()
        );
        let path = partial.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let root = staging.join(id);
    remove_dir_if_present(&root)?;
    fs::rename(&partial, &root).with_context(|| format!("cannot move {} to {}", partial.display(), root.display()))?;
    Ok(root)
}

fn remove_dir_if_present(dir: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot clear {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// The files taken so far, by path relative to the checkout root, with the
/// bounds enforced as they are read.
struct Taken {
    files: BTreeMap<String, Vec<u8>>,
    total: u64,
    limits: Limits,
}

impl Taken {
    fn new(limits: &Limits) -> Taken {
        Taken { files: BTreeMap::new(), total: 0, limits: *limits }
    }

    /// Reads one file, never more than one byte past the bound.
    fn read(&mut self, rel: String, reader: impl Read) -> Result<(), InvalidSubmission> {
        let mut contents = Vec::new();
        reader
            .take(self.limits.file_bytes + 1)
            .read_to_end(&mut contents)
            .map_err(|e| invalid(format!("`{}` cannot be read: {e}", show(rel.as_bytes()))))?;
        if contents.len() as u64 > self.limits.file_bytes {
            return Err(too_big(&rel, &self.limits));
        }
        self.total += contents.len() as u64;
        if self.total > self.limits.taken_bytes {
            return Err(invalid(format!(
                "the .rs files under exercises/ come to more than {}, the most one submission may hold",
                size(self.limits.taken_bytes)
            )));
        }
        if self.files.insert(rel.clone(), contents).is_some() {
            return Err(invalid(format!("`{}` appears twice", show(rel.as_bytes()))));
        }
        Ok(())
    }
}

fn too_big(rel: &str, limits: &Limits) -> InvalidSubmission {
    invalid(format!(
        "`{}` is larger than {}, the most one source file may be",
        show(rel.as_bytes()),
        size(limits.file_bytes)
    ))
}

fn too_many(limits: &Limits, what: &str) -> InvalidSubmission {
    invalid(format!(
        "{what} has more than {} entries, the most one submission may have: leave out target/ and .git/",
        limits.entries
    ))
}

fn size(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) { format!("{} MiB", bytes >> 20) } else { format!("{bytes} bytes") }
}

/// A name for a message: lossy, escaped onto one line, and cut short.
fn show(raw: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(raw).escape_debug().collect();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Where a path under the checkout root falls, for the course's exercises.
struct TakenArea {
    dirs: Vec<Vec<u8>>,
}

#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// Not on the way to anything taken: ignored.
    Elsewhere,
    /// `exercises/`, `exercises/NN_name/` or its `src/`: the folders on the way.
    OnTheWay,
    /// Below a `src/`, behind a hidden name: ignored.
    Hidden,
    /// Below a `src/`: a `.rs` file here is taken.
    Source,
}

impl TakenArea {
    fn place(&self, rel: &[&[u8]]) -> Place {
        match rel {
            [] => Place::Elsewhere,
            [first, ..] if *first != b"exercises" => Place::Elsewhere,
            [_] => Place::OnTheWay,
            [_, dir, ..] if !self.dirs.iter().any(|d| d == dir) => Place::Elsewhere,
            [_, _] => Place::OnTheWay,
            [_, _, src, ..] if *src != b"src" => Place::Elsewhere,
            [_, _, _] => Place::OnTheWay,
            [_, _, _, below @ ..] if below.iter().any(|c| c.first() == Some(&b'.')) => Place::Hidden,
            _ => Place::Source,
        }
    }
}

/// Checks a name below `src/`: it becomes a path the compiler and the
/// reports show, so it must be UTF-8 without control characters.
fn check_source_name(rel: &[&[u8]]) -> Result<String, InvalidSubmission> {
    let joined = rel.join(&b'/');
    match std::str::from_utf8(&joined) {
        Err(_) => Err(invalid(format!("`{}` has a name that is not UTF-8: rename it", show(&joined)))),
        Ok(text) if text.chars().any(char::is_control) => {
            Err(invalid(format!("`{}` has a control character in its name: rename it", show(&joined))))
        }
        Ok(text) => Ok(text.to_string()),
    }
}

fn is_rust_file(rel: &[&[u8]]) -> bool {
    rel.last().is_some_and(|name| name.ends_with(b".rs"))
}

// ---------------------------------------------------------------------------
// Folders

/// Reads a folder submission: only the `src/` folders of the course's
/// exercises are walked, so a `target/` of gigabytes costs nothing.
fn read_folder(source: &Path, area: &TakenArea, limits: &Limits) -> Result<Taken, InvalidSubmission> {
    let base = fs::canonicalize(source).map_err(|e| invalid(format!("the folder cannot be read: {e}")))?;
    let root = if has_exercises(&base) {
        base.clone()
    } else {
        let subfolders = subfolders(&base)?;
        let with_exercises: Vec<&PathBuf> = subfolders.iter().filter(|p| has_exercises(p)).collect();
        match with_exercises.as_slice() {
            [] => return Err(no_exercises()),
            [one] => (*one).clone(),
            several => {
                let names: Vec<String> = several
                    .iter()
                    .map(|p| p.file_name().map_or_else(String::new, |n| show(n.as_encoded_bytes())))
                    .collect();
                return Err(ambiguous(&names));
            }
        }
    };
    let mut walk = FolderWalk { base, area, limits, seen: 0, taken: Taken::new(limits) };
    for dir in &area.dirs {
        let dir_name = String::from_utf8_lossy(dir).into_owned();
        let path = root.join("exercises").join(&dir_name).join("src");
        walk.walk(path, format!("exercises/{dir_name}/src"))?;
    }
    Ok(walk.taken)
}

/// Every subfolder, hidden or not: an archive's top folders are all
/// considered, and a folder must give the same answer as its zip.
fn subfolders(dir: &Path) -> Result<Vec<PathBuf>, InvalidSubmission> {
    let entries = fs::read_dir(dir).map_err(|e| invalid(format!("the folder cannot be read: {e}")))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| invalid(format!("the folder cannot be read: {e}")))?;
        if entry.path().is_dir() {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

fn no_exercises() -> InvalidSubmission {
    invalid("no exercises/ folder found, neither at the top nor one folder down: send your checkout of the course")
}

fn ambiguous(names: &[String]) -> InvalidSubmission {
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    invalid(format!("several folders hold an exercises/ folder ({}): send one checkout only", names.join(", ")))
}

struct FolderWalk<'a> {
    /// The submission folder, canonical: nothing outside it is read.
    base: PathBuf,
    area: &'a TakenArea,
    limits: &'a Limits,
    seen: usize,
    taken: Taken,
}

impl FolderWalk<'_> {
    /// Walks one `src/` folder, depth first with its own stack: a deep tree
    /// must not overflow a worker thread's stack. Each folder carries the
    /// canonical folders above it, so a link back up is a loop and is not
    /// walked again, while two links to one folder are both walked (each
    /// stands for files of its own).
    fn walk(&mut self, start: PathBuf, start_rel: String) -> Result<(), InvalidSubmission> {
        let mut stack = vec![(start, start_rel, Rc::new(Vec::<PathBuf>::new()))];
        while let Some((path, rel, above)) = stack.pop() {
            // Resolves every link on the way, so the check below covers a
            // linked `exercises/` or `src/` as well as a linked file.
            let canonical = match fs::canonicalize(&path) {
                Ok(canonical) => canonical,
                // Absent, or a link to nothing: there is nothing to take.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(invalid(format!("`{}` cannot be read: {e}", show(rel.as_bytes())))),
            };
            if !canonical.starts_with(&self.base) {
                return Err(invalid(format!(
                    "`{}` is a link to a place outside the submission: send the file itself",
                    show(rel.as_bytes())
                )));
            }
            let meta = fs::metadata(&canonical)
                .map_err(|e| invalid(format!("`{}` cannot be read: {e}", show(rel.as_bytes()))))?;
            let parts: Vec<&[u8]> = rel.split('/').map(str::as_bytes).collect();
            if meta.is_dir() {
                if above.contains(&canonical) {
                    continue;
                }
                let entries = fs::read_dir(&canonical)
                    .map_err(|e| invalid(format!("`{}` cannot be read: {e}", show(rel.as_bytes()))))?;
                let mut names = Vec::new();
                for entry in entries {
                    let entry =
                        entry.map_err(|e| invalid(format!("`{}` cannot be read: {e}", show(rel.as_bytes()))))?;
                    self.seen += 1;
                    if self.seen > self.limits.entries {
                        return Err(too_many(self.limits, "the exercises' src/ folders"));
                    }
                    names.push(entry.file_name());
                }
                // Reverse order on the stack: walked in name order.
                names.sort_by(|a, b| b.cmp(a));
                let above = Rc::new(above.iter().cloned().chain([canonical.clone()]).collect::<Vec<_>>());
                for name in names {
                    let bytes = name.as_encoded_bytes();
                    let mut child: Vec<&[u8]> = parts.clone();
                    child.push(bytes);
                    if self.area.place(&child) != Place::Source {
                        continue;
                    }
                    let child_rel = check_source_name(&child)?;
                    stack.push((canonical.join(&name), child_rel, Rc::clone(&above)));
                }
            } else if meta.is_file() && self.area.place(&parts) == Place::Source && is_rust_file(&parts) {
                if meta.len() > self.limits.file_bytes {
                    return Err(too_big(&rel, self.limits));
                }
                let file = File::open(&canonical)
                    .map_err(|e| invalid(format!("`{}` cannot be read: {e}", show(rel.as_bytes()))))?;
                self.taken.read(rel, file)?;
            }
            // Anything else (a FIFO, a device) is not read: it could block.
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Archives

/// One archive entry as listed, before anything is read from it.
struct Listed {
    /// Position in the archive, to find it again.
    index: usize,
    /// The name as stored, for messages.
    name: Vec<u8>,
    /// The name's components: no `.`, `..`, empty or absolute ones.
    parts: Vec<Vec<u8>>,
    kind: EntryKind,
    /// Declared size of its contents.
    size: u64,
}

enum EntryKind {
    File,
    Dir,
    /// A symlink (target relative to its folder) or a hard link (target
    /// relative to the archive's root).
    Link {
        target: Vec<u8>,
        hard: bool,
    },
    /// Devices, FIFOs, tar's extension headers: never read.
    Other,
}

impl Listed {
    fn new(index: usize, name: Vec<u8>, kind: EntryKind, size: u64) -> Result<Listed, InvalidSubmission> {
        let parts = split_name(&name)
            .map_err(|why| invalid(format!("entry `{}` points outside the submission: it {why}", show(&name))))?;
        Ok(Listed { index, name, parts, kind, size })
    }

    fn parts(&self) -> Vec<&[u8]> {
        self.parts.iter().map(Vec::as_slice).collect()
    }
}

/// Splits an archive name into plain components, or says why it escapes.
/// `\` separates too (Windows tools write it), so `..\x` is a `..`.
fn split_name(raw: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    if raw.contains(&0) {
        return Err("has a NUL byte in its name");
    }
    if matches!(raw.first(), Some(b'/' | b'\\')) {
        return Err("is an absolute path");
    }
    if raw.len() >= 2 && raw[0].is_ascii_alphabetic() && raw[1] == b':' {
        return Err("starts with a drive letter");
    }
    let mut parts = Vec::new();
    for part in raw.split(|&b| b == b'/' || b == b'\\') {
        match part {
            b"" | b"." => {}
            b".." => return Err("has a `..` component"),
            _ => parts.push(part.to_vec()),
        }
    }
    Ok(parts)
}

/// Whether a link's target leaves the archive, resolved by its words alone
/// (nothing is on disk to resolve it against, and nothing is ever followed).
fn link_leaves(link: &Listed, target: &[u8], hard: bool) -> bool {
    let drive = target.len() >= 2 && target[0].is_ascii_alphabetic() && target[1] == b':';
    if matches!(target.first(), Some(b'/' | b'\\')) || drive || target.contains(&0) {
        return true;
    }
    let mut at: Vec<&[u8]> = if hard {
        Vec::new()
    } else {
        link.parts[..link.parts.len().saturating_sub(1)].iter().map(Vec::as_slice).collect()
    };
    for part in target.split(|&b| b == b'/' || b == b'\\') {
        match part {
            b"" | b"." => {}
            b".." => {
                if at.pop().is_none() {
                    return true;
                }
            }
            _ => at.push(part),
        }
    }
    false
}

/// Decides, from the listing alone, what an archive gives: the checkout root,
/// then which entries are taken (by index, with their path under the root).
/// Every check that needs no contents happens here, before anything is read.
fn plan(listed: &[Listed], area: &TakenArea, limits: &Limits) -> Result<Vec<(usize, String)>, InvalidSubmission> {
    let is_exercises = |e: &Listed, depth: usize| {
        e.parts.get(depth).is_some_and(|p| p == b"exercises")
            && (e.parts.len() > depth + 1 || matches!(e.kind, EntryKind::Dir))
    };
    let root: Option<&[u8]> = if listed.iter().any(|e| is_exercises(e, 0)) {
        None
    } else {
        let tops: BTreeSet<&[u8]> =
            listed.iter().filter(|e| is_exercises(e, 1)).map(|e| e.parts[0].as_slice()).collect();
        match tops.len() {
            0 => return Err(no_exercises()),
            1 => tops.into_iter().next(),
            _ => return Err(ambiguous(&tops.iter().map(|t| show(t)).collect::<Vec<_>>())),
        }
    };
    let skip = usize::from(root.is_some());

    let mut taken = Vec::new();
    let mut paths = BTreeSet::new();
    for entry in listed {
        if let EntryKind::Link { target, hard } = &entry.kind
            && link_leaves(entry, target, *hard)
        {
            return Err(invalid(format!(
                "entry `{}` is a link to `{}`, outside the submission",
                show(&entry.name),
                show(target)
            )));
        }
        let parts = entry.parts();
        if root.is_some_and(|top| parts.first() != Some(&top)) || parts.len() <= skip {
            continue;
        }
        let rel = &parts[skip..];
        let place = area.place(rel);
        if matches!(entry.kind, EntryKind::Link { .. }) && matches!(place, Place::OnTheWay | Place::Source) {
            return Err(invalid(format!(
                "entry `{}` is a link: links are not accepted under exercises/, put the file itself in the archive",
                show(&entry.name)
            )));
        }
        if place != Place::Source {
            continue;
        }
        let rel_text = check_source_name(rel)?;
        if matches!(entry.kind, EntryKind::File) && is_rust_file(rel) {
            if entry.size > limits.file_bytes {
                return Err(too_big(&rel_text, limits));
            }
            if !paths.insert(rel_text.clone()) {
                return Err(invalid(format!("`{}` appears twice in the archive", show(rel_text.as_bytes()))));
            }
            taken.push((entry.index, rel_text));
        }
    }
    // A path both a file and a folder could not be staged; which one the
    // learner meant cannot be told.
    for path in &paths {
        for (cut, _) in path.match_indices('/') {
            if paths.contains(&path[..cut]) {
                return Err(invalid(format!("`{}` is both a file and a folder in the archive", &path[..cut])));
            }
        }
    }
    Ok(taken)
}

fn read_zip(path: &Path, area: &TakenArea, limits: &Limits) -> Result<Taken, InvalidSubmission> {
    let unreadable =
        |e: &dyn std::fmt::Display| invalid(format!("the zip archive cannot be read (damaged or truncated?): {e}"));
    let file = File::open(path).map_err(|e| unreadable(&e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| unreadable(&e))?;
    if zip.len() > limits.entries {
        return Err(too_many(limits, "the archive"));
    }
    if zip.has_duplicate_names() {
        // The zip crate keeps one of them; another tool might keep the other.
        return Err(invalid("the zip archive lists the same name twice"));
    }
    let mut listed = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        let (name, is_link, is_dir, size) = {
            let entry = zip.by_index_data(index).map_err(|e| unreadable(&e))?;
            (entry.name_raw().to_vec(), entry.is_symlink(), entry.is_dir(), entry.size())
        };
        let kind = if is_link {
            let cannot = |e: &dyn std::fmt::Display| invalid(format!("entry `{}` cannot be read: {e}", show(&name)));
            let link = zip.by_index(index).map_err(|e| cannot(&e))?;
            let mut target = Vec::new();
            link.take(MAX_LINK_TARGET + 1).read_to_end(&mut target).map_err(|e| cannot(&e))?;
            if target.len() as u64 > MAX_LINK_TARGET {
                return Err(invalid(format!("entry `{}` is a link with an overlong target", show(&name))));
            }
            EntryKind::Link { target, hard: false }
        } else if is_dir {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        listed.push(Listed::new(index, name, kind, size)?);
    }
    let mut taken = Taken::new(limits);
    for (index, rel) in plan(&listed, area, limits)? {
        // Encrypted entries and compression methods this build cannot read
        // (only deflate and stored) fail here, with the crate's reason.
        let file = zip
            .by_index(index)
            .map_err(|e| invalid(format!("`{}` cannot be read from the archive: {e}", show(rel.as_bytes()))))?;
        taken.read(rel, file)?;
    }
    Ok(taken)
}

/// A `.tar.gz` is a stream: it is read twice, once to list it and plan, once
/// to take the planned entries, so that nothing is held or written for an
/// entry before the whole archive is known to be acceptable.
fn read_tar_gz(path: &Path, area: &TakenArea, limits: &Limits) -> Result<Taken, InvalidSubmission> {
    let unreadable =
        |e: &dyn std::fmt::Display| invalid(format!("the .tar.gz archive cannot be read (damaged or truncated?): {e}"));
    let open = || -> Result<tar::Archive<MultiGzDecoder<BufReader<File>>>, InvalidSubmission> {
        let file = File::open(path).map_err(|e| unreadable(&e))?;
        Ok(tar::Archive::new(MultiGzDecoder::new(BufReader::new(file))))
    };

    let mut listed = Vec::new();
    let mut unpacked = 0u64;
    let mut archive = open()?;
    for (index, entry) in archive.entries().map_err(|e| unreadable(&e))?.enumerate() {
        if index >= limits.entries {
            return Err(too_many(limits, "the archive"));
        }
        let entry = entry.map_err(|e| unreadable(&e))?;
        unpacked = unpacked.saturating_add(entry.size());
        if unpacked > limits.archive_bytes {
            return Err(invalid(format!(
                "the archive unpacks to more than {}, the most one submission may: leave out target/ and .git/",
                size(limits.archive_bytes)
            )));
        }
        let link_target = || entry.link_name_bytes().map(|t| t.into_owned()).unwrap_or_default();
        let kind = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Link { target: link_target(), hard: false },
            tar::EntryType::Link => EntryKind::Link { target: link_target(), hard: true },
            _ => EntryKind::Other,
        };
        listed.push(Listed::new(index, entry.path_bytes().into_owned(), kind, entry.size())?);
    }
    let mut planned: BTreeMap<usize, String> = plan(&listed, area, limits)?.into_iter().collect();

    let mut taken = Taken::new(limits);
    let mut archive = open()?;
    for (index, entry) in archive.entries().map_err(|e| unreadable(&e))?.enumerate() {
        if planned.is_empty() {
            break;
        }
        let entry = entry.map_err(|e| unreadable(&e))?;
        if let Some(rel) = planned.remove(&index) {
            taken.read(rel, entry)?;
        }
    }
    if let Some(rel) = planned.into_values().next() {
        // The file changed between the two readings.
        return Err(invalid(format!("`{}` vanished from the archive while it was read", show(rel.as_bytes()))));
    }
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    /// The course's exercise folders, as the grader passes them.
    fn course() -> Vec<String> {
        vec!["01_send_all".to_string(), "04_counter".to_string()]
    }

    /// A learner's checkout: taken files, and files that must be ignored.
    fn checkout() -> Vec<(&'static str, &'static [u8])> {
        vec![
            ("Cargo.toml", b"[workspace]\n"),
            ("README.md", b"# mine\n"),
            ("exercises/info.toml", b"format_version = 1\n"),
            ("exercises/01_send_all/src/lib.rs", b"pub fn send_all() {}\n"),
            ("exercises/04_counter/Cargo.toml", b"[package]\nname = \"evil\"\n"),
            ("exercises/04_counter/build.rs", b"fn main() { panic!() }\n"),
            ("exercises/04_counter/src/lib.rs", b"mod inner;\npub struct Counter;\n"),
            ("exercises/04_counter/src/inner/mod.rs", b"pub fn helper() {}\n"),
            ("exercises/04_counter/src/notes.txt", b"not rust\n"),
            ("exercises/04_counter/src/.#lib.rs", b"editor lock\n"),
            ("exercises/04_counter/tests/extra.rs", b"#[test] fn t() {}\n"),
            ("exercises/99_unknown/src/lib.rs", b"pub fn unknown() {}\n"),
            ("target/debug/junk.rs", b"junk\n"),
        ]
    }

    const TAKEN: [&str; 3] = [
        "exercises/01_send_all/src/lib.rs",
        "exercises/04_counter/src/inner/mod.rs",
        "exercises/04_counter/src/lib.rs",
    ];

    fn write_folder(dir: &Path, prefix: &str, files: &[(&str, &[u8])]) {
        for (name, contents) in files {
            let path = dir.join(prefix).join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
    }

    fn zip_bytes(prefix: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, contents) in files {
            zip.start_file(format!("{prefix}{name}"), zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(contents).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// A tar.gz; `extra` may append hand-made entries before it is closed.
    fn tar_gz_bytes(
        prefix: &str,
        files: &[(&str, &[u8])],
        extra: impl FnOnce(&mut tar::Builder<flate2::write::GzEncoder<Vec<u8>>>),
    ) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (name, contents) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, format!("{prefix}{name}"), *contents).unwrap();
        }
        extra(&mut tar);
        tar.into_inner().unwrap().finish().unwrap()
    }

    /// A tar header whose name is written as raw bytes, past `tar`'s checks
    /// (it refuses `..` and absolute paths, as an attacker's tool would not).
    fn raw_header(name: &[u8], kind: tar::EntryType, size: u64, link: &[u8]) -> tar::Header {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        header
    }

    fn candidate_at(path: &Path, kind: Kind) -> Candidate {
        Candidate { id: "learner".to_string(), source: path.to_path_buf(), kind, problem: None }
    }

    fn unpack_ok(c: &Candidate, staging: &Path) -> Unpacked {
        match unpack(c, &course(), staging).unwrap() {
            Ok(unpacked) => unpacked,
            Err(e) => panic!("{} should be valid: {e}", c.source.display()),
        }
    }

    fn unpack_err(c: &Candidate, staging: &Path) -> String {
        unpack_err_with(c, staging, &LIMITS)
    }

    fn unpack_err_with(c: &Candidate, staging: &Path, limits: &Limits) -> String {
        match unpack_with(c, &course(), staging, limits).unwrap() {
            Ok(_) => panic!("{} should be invalid", c.source.display()),
            Err(e) => {
                assert!(!e.0.contains('\n'), "one line: {e}");
                assert!(!staging.join(&c.id).exists(), "nothing staged for an invalid submission");
                e.0
            }
        }
    }

    /// Every file under `dir`, relative, with contents.
    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut found = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(at) = stack.pop() {
            for entry in fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    found.insert(rel, fs::read(&path).unwrap());
                }
            }
        }
        found
    }

    fn zip_file(dir: &Path, name: &str, bytes: Vec<u8>) -> Candidate {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        candidate_at(&path, Kind::Zip)
    }

    fn tgz_file(dir: &Path, name: &str, bytes: Vec<u8>) -> Candidate {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        candidate_at(&path, Kind::TarGz)
    }

    #[test]
    fn limits_are_the_issues() {
        assert_eq!(LIMITS.file_bytes, 1024 * 1024);
        assert_eq!(LIMITS.taken_bytes, 16 * 1024 * 1024);
        assert_eq!(LIMITS.entries, 10_000);
    }

    #[test]
    fn a_folder_gives_only_the_rs_files_under_src_of_course_exercises() {
        let tmp = tempfile::tempdir().unwrap();
        write_folder(tmp.path(), "alice", &checkout());
        let staging = tmp.path().join("staging");
        let unpacked = unpack_ok(&candidate_at(&tmp.path().join("alice"), Kind::Folder), &staging);
        assert_eq!(unpacked.root, staging.join("learner"));
        assert_eq!(tree(&unpacked.root).keys().map(String::as_str).collect::<Vec<_>>(), TAKEN);
        assert_eq!(
            unpacked.exercises,
            BTreeMap::from([
                ("01_send_all".to_string(), unpacked.root.join("exercises/01_send_all/src")),
                ("04_counter".to_string(), unpacked.root.join("exercises/04_counter/src")),
            ])
        );
        assert_eq!(unpacked.content_hash.len(), 64);
    }

    #[test]
    fn an_exercise_without_rs_files_is_absent() {
        let tmp = tempfile::tempdir().unwrap();
        write_folder(
            tmp.path(),
            "alice",
            &[("exercises/04_counter/src/lib.rs", b"x"), ("exercises/01_send_all/src/README.md", b"no code")],
        );
        let unpacked = unpack_ok(&candidate_at(&tmp.path().join("alice"), Kind::Folder), &tmp.path().join("s"));
        assert_eq!(unpacked.exercises.keys().collect::<Vec<_>>(), ["04_counter"]);
    }

    #[test]
    fn one_folder_down_is_read_in_folders_zips_and_tar_gz() {
        let tmp = tempfile::tempdir().unwrap();
        write_folder(tmp.path(), "alice/course-main", &checkout());
        write_folder(tmp.path(), "alice", &[("notes.txt", b"hi")]);
        let staging = tmp.path().join("staging");
        for c in [
            candidate_at(&tmp.path().join("alice"), Kind::Folder),
            zip_file(tmp.path(), "a.zip", zip_bytes("course-main/", &checkout())),
            tgz_file(tmp.path(), "a.tgz", tar_gz_bytes("course-main/", &checkout(), |_| {})),
        ] {
            let unpacked = unpack_ok(&c, &staging);
            assert_eq!(tree(&unpacked.root).keys().map(String::as_str).collect::<Vec<_>>(), TAKEN, "{c:?}");
        }
    }

    #[test]
    fn the_same_checkout_has_the_same_hash_in_every_container() {
        let tmp = tempfile::tempdir().unwrap();
        write_folder(tmp.path(), "alice", &checkout());
        let staging = tmp.path().join("staging");
        let results: Vec<Unpacked> = [
            candidate_at(&tmp.path().join("alice"), Kind::Folder),
            zip_file(tmp.path(), "root.zip", zip_bytes("", &checkout())),
            zip_file(tmp.path(), "down.zip", zip_bytes("x/", &checkout())),
            tgz_file(tmp.path(), "root.tar.gz", tar_gz_bytes("", &checkout(), |_| {})),
            tgz_file(tmp.path(), "down.tgz", tar_gz_bytes("./y/", &checkout(), |_| {})),
        ]
        .iter()
        .map(|c| {
            let unpacked = unpack_ok(c, &staging);
            assert_eq!(content_hash(&tree(&unpacked.root)), unpacked.content_hash, "the hash is of what was staged");
            unpacked
        })
        .collect();
        assert!(results.iter().all(|u| u.content_hash == results[0].content_hash));

        // Any change to a taken file changes it; a change elsewhere does not.
        let mut changed = checkout();
        changed[3].1 = b"pub fn send_all() { }\n";
        let c = zip_file(tmp.path(), "changed.zip", zip_bytes("", &changed));
        assert_ne!(unpack_ok(&c, &staging).content_hash, results[0].content_hash);
        let mut elsewhere = checkout();
        elsewhere[4].1 = b"[package]\nname = \"other\"\n";
        let c = zip_file(tmp.path(), "elsewhere.zip", zip_bytes("", &elsewhere));
        assert_eq!(unpack_ok(&c, &staging).content_hash, results[0].content_hash);
    }

    #[test]
    fn the_hash_encoding_is_pinned() {
        // A cache key: results cached under it must stay findable.
        let files = BTreeMap::from([
            ("exercises/01_send_all/src/lib.rs".to_string(), b"a".to_vec()),
            ("exercises/04_counter/src/lib.rs".to_string(), b"xy".to_vec()),
        ]);
        assert_eq!(content_hash(&files), "c85eaf990869b267ae35bd8f8bb097f866c3096532639269828df1bbb45b4299");
    }

    #[test]
    fn staging_is_cleared_and_nothing_lands_beside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        write_folder(&staging, "learner", &[("stale.rs", b"old")]);
        let c = zip_file(tmp.path(), "a.zip", zip_bytes("", &checkout()));
        let unpacked = unpack_ok(&c, &staging);
        assert!(!unpacked.root.join("stale.rs").exists());
        let names: Vec<_> = fs::read_dir(&staging).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["learner"]);
    }

    #[test]
    fn discover_reads_a_folder_of_many_of_mixed_kinds() {
        let tmp = tempfile::tempdir().unwrap();
        let class = tmp.path().join("class");
        write_folder(&class, "alice", &checkout());
        write_folder(&class, "erin/course-main", &checkout());
        fs::write(class.join("bob.zip"), zip_bytes("", &checkout())).unwrap();
        fs::write(class.join("carol.tar.gz"), tar_gz_bytes("", &checkout(), |_| {})).unwrap();
        fs::write(class.join("dave.TGZ"), tar_gz_bytes("", &checkout(), |_| {})).unwrap();
        fs::write(class.join("roster.csv"), "alice,bob\n").unwrap();
        write_folder(&class, ".git", &[("HEAD", b"ref")]);
        let found = discover(std::slice::from_ref(&class)).unwrap();
        let got: Vec<(&str, Kind, PathBuf)> = found.iter().map(|c| (c.id.as_str(), c.kind, c.source.clone())).collect();
        assert_eq!(
            got,
            [
                ("alice", Kind::Folder, class.join("alice")),
                ("bob", Kind::Zip, class.join("bob.zip")),
                ("carol", Kind::TarGz, class.join("carol.tar.gz")),
                ("dave", Kind::TarGz, class.join("dave.TGZ")),
                ("erin", Kind::Folder, class.join("erin")),
            ]
        );
        assert!(found.iter().all(|c| c.problem.is_none()));
        let staging = tmp.path().join("staging");
        let hashes: BTreeSet<String> = found.iter().map(|c| unpack_ok(c, &staging).content_hash).collect();
        assert_eq!(hashes.len(), 1, "all five are the same checkout");
    }

    #[test]
    fn discover_takes_a_checkout_argument_as_one_submission() {
        let tmp = tempfile::tempdir().unwrap();
        write_folder(tmp.path(), "alice", &checkout());
        write_folder(tmp.path(), "bob/course-main", &checkout());
        write_folder(tmp.path(), "bob", &[("notes.txt", b"x")]);
        fs::write(tmp.path().join("carol.zip"), zip_bytes("", &checkout())).unwrap();
        let args = [tmp.path().join("carol.zip"), tmp.path().join("bob"), tmp.path().join("alice")];
        let found = discover(&args).unwrap();
        let got: Vec<(&str, Kind)> = found.iter().map(|c| (c.id.as_str(), c.kind)).collect();
        assert_eq!(got, [("alice", Kind::Folder), ("bob", Kind::Folder), ("carol", Kind::Zip)]);
    }

    #[test]
    fn discover_keeps_a_class_with_one_unzipped_checkout_a_batch() {
        let tmp = tempfile::tempdir().unwrap();
        let class = tmp.path().join("class");
        write_folder(&class, "alice", &checkout());
        fs::write(class.join("bob.zip"), zip_bytes("", &checkout())).unwrap();
        let found = discover(&[class.clone(), class.join("bob.zip")]).unwrap();
        assert_eq!(
            found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["alice", "bob"],
            "one path named twice is one"
        );
    }

    #[test]
    fn discover_refuses_missing_paths_and_other_files_as_usage_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let error = discover(&[tmp.path().join("nope")]).unwrap_err();
        assert!(error.downcast_ref::<Usage>().is_some(), "{error}");
        fs::write(tmp.path().join("notes.txt"), "x").unwrap();
        let error = discover(&[tmp.path().join("notes.txt")]).unwrap_err();
        assert!(error.downcast_ref::<Usage>().is_some(), "{error}");
        write_folder(tmp.path(), "empty", &[("roster.csv", b"alice\n")]);
        let error = discover(&[tmp.path().join("empty")]).unwrap_err();
        assert!(
            error.downcast_ref::<Usage>().is_some() && error.to_string().contains("holds no submission"),
            "{error}"
        );
    }

    #[test]
    fn shared_ids_make_every_holder_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let class = tmp.path().join("class");
        fs::create_dir_all(&class).unwrap();
        fs::write(class.join("alice.zip"), zip_bytes("", &checkout())).unwrap();
        fs::write(class.join("alice.tgz"), tar_gz_bytes("", &checkout(), |_| {})).unwrap();
        fs::write(class.join("bob.zip"), zip_bytes("", &checkout())).unwrap();
        let found = discover(&[class]).unwrap();
        assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["alice", "alice", "bob"]);
        let staging = tmp.path().join("staging");
        for c in &found[..2] {
            let message = unpack_err(c, &staging);
            assert!(message.contains("`alice`") && message.contains("alice."), "{message}");
        }
        assert!(found[2].problem.is_none());
    }

    #[test]
    fn unreadable_archives_are_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let whole = zip_bytes("", &checkout());
        let message = unpack_err(&zip_file(tmp.path(), "cut.zip", whole[..whole.len() / 2].to_vec()), &staging);
        assert!(message.contains("zip archive cannot be read"), "{message}");

        let message = unpack_err(&tgz_file(tmp.path(), "junk.tgz", b"this is not gzip at all".repeat(40)), &staging);
        assert!(message.contains(".tar.gz archive cannot be read"), "{message}");

        let whole = tar_gz_bytes("", &checkout(), |_| {});
        let message = unpack_err(&tgz_file(tmp.path(), "cut.tgz", whole[..whole.len() / 2].to_vec()), &staging);
        assert!(message.contains(".tar.gz archive cannot be read"), "{message}");
    }

    #[test]
    fn escaping_zip_entries_are_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        for (name, why) in [
            ("../evil.rs", "`..`"),
            ("exercises/04_counter/src/../../../../evil.rs", "`..`"),
            ("..\\evil.rs", "`..`"),
            ("/etc/evil.rs", "absolute"),
            ("\\\\server\\share\\evil.rs", "absolute"),
            ("C:\\evil.rs", "drive letter"),
        ] {
            let mut files = checkout();
            files.push((name, b"evil"));
            let message = unpack_err(&zip_file(tmp.path(), "e.zip", zip_bytes("", &files)), &staging);
            assert!(message.contains("points outside the submission") && message.contains(why), "{name}: {message}");
        }
        assert!(!tmp.path().join("evil.rs").exists());
    }

    #[test]
    fn escaping_tar_entries_are_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        for (name, why) in [(&b"../evil.rs"[..], "`..`"), (b"/tmp/evil.rs", "absolute"), (b"x/..\\..\\evil.rs", "`..`")]
        {
            let bytes = tar_gz_bytes("", &checkout(), |tar| {
                tar.append(&raw_header(name, tar::EntryType::Regular, 4, b""), &b"evil"[..]).unwrap();
            });
            let message = unpack_err(&tgz_file(tmp.path(), "e.tgz", bytes), &staging);
            assert!(message.contains("points outside the submission") && message.contains(why), "{message}");
        }
    }

    #[test]
    fn links_leaving_the_archive_are_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        // A zip symlink outside the taken files, pointing out.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, contents) in checkout() {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(contents).unwrap();
        }
        zip.add_symlink("docs/passwd", "../../etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let message = unpack_err(&zip_file(tmp.path(), "l.zip", bytes), &staging);
        assert!(message.contains("is a link to `../../etc/passwd`, outside"), "{message}");

        for (kind, target) in [
            (tar::EntryType::Symlink, &b"/etc/passwd"[..]),
            (tar::EntryType::Symlink, b"../../../etc/passwd"),
            (tar::EntryType::Link, b"../outside"),
        ] {
            let bytes = tar_gz_bytes("", &checkout(), |tar| {
                tar.append(&raw_header(b"docs/link", kind, 0, target), std::io::empty()).unwrap();
            });
            let message = unpack_err(&tgz_file(tmp.path(), "l.tgz", bytes), &staging);
            assert!(message.contains("outside the submission"), "{message}");
        }
    }

    #[test]
    fn links_among_the_taken_files_are_invalid_and_others_inside_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let with_link = |path: &[u8], target: &[u8]| {
            let (path, target) = (path.to_vec(), target.to_vec());
            tar_gz_bytes("", &checkout(), move |tar| {
                tar.append(&raw_header(&path, tar::EntryType::Symlink, 0, &target), std::io::empty()).unwrap();
            })
        };
        let bytes = with_link(b"exercises/04_counter/src/shared.rs", b"lib.rs");
        let message = unpack_err(&tgz_file(tmp.path(), "a.tgz", bytes), &staging);
        assert!(message.contains("links are not accepted under exercises/"), "{message}");
        let bytes = with_link(b"exercises/01_send_all/src", b"../04_counter/src");
        let message = unpack_err(&tgz_file(tmp.path(), "b.tgz", bytes), &staging);
        assert!(message.contains("links are not accepted under exercises/"), "{message}");
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, contents) in checkout() {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(contents).unwrap();
        }
        zip.add_symlink("x/exercises/04_counter/src/shared.rs", "lib.rs", zip::write::SimpleFileOptions::default())
            .unwrap();
        let c = zip_file(tmp.path(), "b.zip", zip.finish().unwrap().into_inner());
        unpack_ok(&c, &staging); // x/ is not the checkout: exercises/ at the top is
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, contents) in checkout() {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(contents).unwrap();
        }
        zip.add_symlink("exercises/04_counter/src/shared.rs", "lib.rs", zip::write::SimpleFileOptions::default())
            .unwrap();
        let message = unpack_err(&zip_file(tmp.path(), "c.zip", zip.finish().unwrap().into_inner()), &staging);
        assert!(message.contains("links are not accepted under exercises/"), "{message}");

        // Inside and away from the taken files, or an editor's hidden lock
        // link: ignored, never followed.
        for (path, target) in
            [(&b"docs/readme"[..], &b"../README.md"[..]), (b"exercises/04_counter/src/.#lib.rs", b"me@host.123")]
        {
            let c = tgz_file(tmp.path(), "c.tgz", with_link(path, target));
            assert_eq!(tree(&unpack_ok(&c, &staging).root).keys().map(String::as_str).collect::<Vec<_>>(), TAKEN);
        }
    }

    #[test]
    fn folder_links_are_followed_only_inside() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        write_folder(tmp.path(), "alice", &checkout());
        fs::write(tmp.path().join("secret.rs"), "secret").unwrap();
        let src = tmp.path().join("alice/exercises/04_counter/src");
        std::os::unix::fs::symlink("lib.rs", src.join("again.rs")).unwrap();
        std::os::unix::fs::symlink("../../../../nothing", src.join("dangling.rs")).unwrap();
        std::os::unix::fs::symlink(".", src.join("again")).unwrap();
        std::os::unix::fs::symlink("inner", src.join("also")).unwrap();
        let c = candidate_at(&tmp.path().join("alice"), Kind::Folder);
        let files = tree(&unpack_ok(&c, &staging).root);
        assert_eq!(files["exercises/04_counter/src/again.rs"], files["exercises/04_counter/src/lib.rs"]);
        // Two names for one folder: both are walked, neither steals the other.
        assert_eq!(files["exercises/04_counter/src/also/mod.rs"], files["exercises/04_counter/src/inner/mod.rs"]);
        // A link back up is a loop, walked once.
        assert!(files.keys().all(|k| !k.contains("dangling") && !k.contains("again/")), "{files:?}");

        std::os::unix::fs::symlink("../../../../secret.rs", src.join("stolen.rs")).unwrap();
        let message = unpack_err(&c, &staging);
        assert!(message.contains("`exercises/04_counter/src/stolen.rs` is a link to a place outside"), "{message}");

        fs::remove_file(src.join("stolen.rs")).unwrap();
        fs::remove_dir_all(tmp.path().join("alice/exercises/01_send_all/src")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), tmp.path().join("alice/exercises/01_send_all/src")).unwrap();
        let message = unpack_err(&c, &staging);
        assert!(message.contains("`exercises/01_send_all/src` is a link to a place outside"), "{message}");
    }

    #[test]
    fn no_exercises_folder_is_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let files: &[(&str, &[u8])] = &[("src/lib.rs", b"x"), ("a/b/exercises/04_counter/src/lib.rs", b"too deep")];
        write_folder(tmp.path(), "alice", files);
        for c in [
            candidate_at(&tmp.path().join("alice"), Kind::Folder),
            zip_file(tmp.path(), "a.zip", zip_bytes("", files)),
            tgz_file(tmp.path(), "a.tgz", tar_gz_bytes("", files, |_| {})),
            zip_file(tmp.path(), "empty.zip", zip_bytes("", &[])),
        ] {
            assert!(unpack_err(&c, &staging).contains("no exercises/ folder found"));
        }
    }

    #[test]
    fn two_top_folders_with_exercises_are_ambiguous() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let mut files = Vec::new();
        for (name, contents) in checkout() {
            files.push((format!("mine/{name}"), contents));
            files.push((format!("friend/{name}"), contents));
        }
        let mut files: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        write_folder(tmp.path(), "alice", &files);
        for c in [
            candidate_at(&tmp.path().join("alice"), Kind::Folder),
            zip_file(tmp.path(), "a.zip", zip_bytes("", &files)),
            tgz_file(tmp.path(), "a.tgz", tar_gz_bytes("", &files, |_| {})),
        ] {
            let message = unpack_err(&c, &staging);
            assert!(message.contains("several folders") && message.contains("`friend`, `mine`"), "{message}");
        }
        // exercises/ at the root wins over copies one folder down.
        files.extend(checkout());
        let c = zip_file(tmp.path(), "b.zip", zip_bytes("", &files));
        assert_eq!(tree(&unpack_ok(&c, &staging).root).len(), TAKEN.len());
    }

    #[test]
    fn an_oversize_file_is_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let big = vec![b'/'; LIMITS.file_bytes as usize + 1];
        let mut files = checkout();
        files.push(("exercises/04_counter/src/big.rs", &big));
        write_folder(tmp.path(), "alice", &files);
        for c in [
            candidate_at(&tmp.path().join("alice"), Kind::Folder),
            zip_file(tmp.path(), "a.zip", zip_bytes("", &files)),
            tgz_file(tmp.path(), "a.tgz", tar_gz_bytes("", &files, |_| {})),
        ] {
            let message = unpack_err(&c, &staging);
            assert!(message.contains("`exercises/04_counter/src/big.rs` is larger than 1 MiB"), "{message}");
        }
        // Big files that are not taken cost nothing.
        let files: Vec<(&str, &[u8])> = checkout().into_iter().chain([("target/big.bin", &big[..])]).collect();
        let c = zip_file(tmp.path(), "b.zip", zip_bytes("", &files));
        unpack_ok(&c, &staging);
    }

    #[test]
    fn the_total_and_archive_bounds_hold() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let small = Limits { file_bytes: 100, taken_bytes: 150, entries: 100, archive_bytes: 1000 };
        let files: &[(&str, &[u8])] =
            &[("exercises/04_counter/src/a.rs", &[b'a'; 80]), ("exercises/04_counter/src/b.rs", &[b'b'; 80])];
        let c = zip_file(tmp.path(), "a.zip", zip_bytes("", files));
        let message = unpack_err_with(&c, &staging, &small);
        assert!(message.contains("more than 150 bytes"), "{message}");

        let mut files = checkout();
        files.push(("target/huge", &[0; 2000]));
        let c = tgz_file(tmp.path(), "a.tgz", tar_gz_bytes("", &files, |_| {}));
        let message = unpack_err_with(&c, &staging, &small);
        assert!(message.contains("unpacks to more than 1000 bytes"), "{message}");
    }

    #[test]
    fn too_many_entries_is_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let names: Vec<String> = (0..LIMITS.entries).map(|i| format!("target/{i}")).collect();
        let files: Vec<(&str, &[u8])> =
            checkout().into_iter().chain(names.iter().map(|n| (n.as_str(), &b""[..]))).collect();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, contents) in &files {
            zip.start_file(*name, stored).unwrap();
            zip.write_all(contents).unwrap();
        }
        let c = zip_file(tmp.path(), "a.zip", zip.finish().unwrap().into_inner());
        assert!(unpack_err(&c, &staging).contains("more than 10000 entries"));

        let small = Limits { entries: 20, ..LIMITS };
        let c = tgz_file(tmp.path(), "a.tgz", tar_gz_bytes("", &files[..30], |_| {}));
        assert!(unpack_err_with(&c, &staging, &small).contains("more than 20 entries"));
        let many: Vec<(String, &[u8])> =
            (0..30).map(|i| (format!("exercises/04_counter/src/m{i}.rs"), &b""[..])).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        write_folder(tmp.path(), "alice", &many);
        let c = candidate_at(&tmp.path().join("alice"), Kind::Folder);
        assert!(unpack_err_with(&c, &staging, &small).contains("more than 20 entries"));
    }

    #[test]
    fn odd_names_under_src_are_invalid_and_ignored_elsewhere() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let message = unpack_err(
            &tgz_file(
                tmp.path(),
                "a.tgz",
                tar_gz_bytes("", &checkout(), |tar| {
                    tar.append(
                        &raw_header(b"exercises/04_counter/src/\xff.rs", tar::EntryType::Regular, 1, b""),
                        &b"x"[..],
                    )
                    .unwrap();
                }),
            ),
            &staging,
        );
        assert!(message.contains("not UTF-8"), "{message}");

        let mut files = checkout();
        files.push(("exercises/04_counter/src/bell\u{7}.rs", b"x"));
        let message = unpack_err(&zip_file(tmp.path(), "b.zip", zip_bytes("", &files)), &staging);
        assert!(message.contains("control character") && message.contains("bell\\u{7}.rs"), "{message}");

        let mut files = checkout();
        files.push(("target/bell\u{7}", b"x"));
        unpack_ok(&zip_file(tmp.path(), "c.zip", zip_bytes("", &files)), &staging);
    }

    #[test]
    fn a_zip_listing_a_name_twice_is_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = checkout();
        files.push(("exercises/04_counter/src/dup_a.rs", b"one"));
        files.push(("exercises/04_counter/src/dup_b.rs", b"two"));
        // `ZipWriter` refuses a name twice, so rename one in the bytes: which
        // of the two a tool keeps is its own choice, never the grader's.
        let mut bytes = zip_bytes("", &files);
        let (from, to) = (b"dup_b.rs", b"dup_a.rs");
        let mut at = 0;
        while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
            bytes[at + i..at + i + from.len()].copy_from_slice(to);
            at += i + from.len();
        }
        let message = unpack_err(&zip_file(tmp.path(), "a.zip", bytes), &tmp.path().join("staging"));
        assert!(message.contains("same name twice"), "{message}");
    }

    #[test]
    fn odd_submission_names_are_invalid_candidates() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let class = tmp.path().join("class");
        fs::create_dir_all(&class).unwrap();
        fs::write(class.join(OsStr::from_bytes(b"b\xffd.zip")), zip_bytes("", &checkout())).unwrap();
        fs::write(class.join("tab\there.zip"), zip_bytes("", &checkout())).unwrap();
        let found = discover(&[class]).unwrap();
        assert_eq!(found.len(), 2);
        let staging = tmp.path().join("staging");
        assert!(unpack_err(&found[0], &staging).contains("is not UTF-8"));
        assert!(unpack_err(&found[1], &staging).contains("control character"));
    }

    #[test]
    fn a_name_twice_is_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join("staging");
        let bytes = tar_gz_bytes("", &checkout(), |tar| {
            let mut header = tar::Header::new_gnu();
            header.set_size(1);
            tar.append_data(&mut header, "exercises/04_counter/src/lib.rs", &b"y"[..]).unwrap();
        });
        let message = unpack_err(&tgz_file(tmp.path(), "a.tgz", bytes), &staging);
        assert!(message.contains("appears twice"), "{message}");
    }
}
