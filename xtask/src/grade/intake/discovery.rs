//! Which submissions the command line names.

use super::{Candidate, Kind, show};
use crate::exit::Usage;
use anyhow::Context;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

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

pub(super) fn has_exercises(dir: &Path) -> bool {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{checkout, tar_gz_bytes, unpack_err, unpack_ok, write_folder, zip_bytes};
    use super::*;
    use crate::exit::Usage;
    use std::collections::BTreeSet;
    use std::ffi::OsStr;
    use std::fs;
    use std::path::PathBuf;

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
}
