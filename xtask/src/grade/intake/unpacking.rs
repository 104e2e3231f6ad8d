//! What is taken from a submission, and how it is staged.

use super::folder::read_folder;
use super::tar_gz::read_tar_gz;
use super::zip_archive::read_zip;
use super::{Candidate, InvalidSubmission, Kind, LIMITS, Limits, Unpacked, content_hash, invalid, show};
use anyhow::Context;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

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

pub(super) fn unpack_with(
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
pub(super) struct Taken {
    files: BTreeMap<String, Vec<u8>>,
    total: u64,
    limits: Limits,
}

impl Taken {
    pub(super) fn new(limits: &Limits) -> Taken {
        Taken { files: BTreeMap::new(), total: 0, limits: *limits }
    }

    /// Reads one file, never more than one byte past the bound.
    pub(super) fn read(&mut self, rel: String, reader: impl Read) -> Result<(), InvalidSubmission> {
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

pub(super) fn too_big(rel: &str, limits: &Limits) -> InvalidSubmission {
    invalid(format!(
        "`{}` is larger than {}, the most one source file may be",
        show(rel.as_bytes()),
        size(limits.file_bytes)
    ))
}

pub(super) fn too_many(limits: &Limits, what: &str) -> InvalidSubmission {
    invalid(format!(
        "{what} has more than {} entries, the most one submission may have: leave out target/ and .git/",
        limits.entries
    ))
}

pub(super) fn size(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) { format!("{} MiB", bytes >> 20) } else { format!("{bytes} bytes") }
}

/// Where a path under the checkout root falls, for the course's exercises.
pub(super) struct TakenArea {
    pub(super) dirs: Vec<Vec<u8>>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Place {
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
    pub(super) fn place(&self, rel: &[&[u8]]) -> Place {
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
pub(super) fn check_source_name(rel: &[&[u8]]) -> Result<String, InvalidSubmission> {
    let joined = rel.join(&b'/');
    match std::str::from_utf8(&joined) {
        Err(_) => Err(invalid(format!("`{}` has a name that is not UTF-8: rename it", show(&joined)))),
        Ok(text) if text.chars().any(char::is_control) => {
            Err(invalid(format!("`{}` has a control character in its name: rename it", show(&joined))))
        }
        Ok(text) => Ok(text.to_string()),
    }
}

pub(super) fn is_rust_file(rel: &[&[u8]]) -> bool {
    rel.last().is_some_and(|name| name.ends_with(b".rs"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        TAKEN, candidate_at, checkout, raw_header, tar_gz_bytes, tgz_file, tree, unpack_err, unpack_err_with,
        unpack_ok, write_folder, zip_bytes, zip_file,
    };
    use super::*;
    use std::collections::BTreeMap;
    use std::fs;
    use std::io::Cursor;
    use std::io::Write;

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
}
