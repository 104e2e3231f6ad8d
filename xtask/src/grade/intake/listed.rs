//! What both archive readers share: an archive's entries as listed, and the
//! plan made from that listing alone, before anything is read.

use super::folder::{ambiguous, no_exercises};
use super::unpacking::{Place, TakenArea, check_source_name, is_rust_file, too_big};
use super::{InvalidSubmission, Limits, invalid, show};
use std::collections::BTreeSet;

/// One archive entry as listed, before anything is read from it.
pub(super) struct Listed {
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

pub(super) enum EntryKind {
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
    pub(super) fn new(index: usize, name: Vec<u8>, kind: EntryKind, size: u64) -> Result<Listed, InvalidSubmission> {
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
pub(super) fn plan(
    listed: &[Listed],
    area: &TakenArea,
    limits: &Limits,
) -> Result<Vec<(usize, String)>, InvalidSubmission> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{
        TAKEN, checkout, raw_header, tar_gz_bytes, tgz_file, tree, unpack_err, unpack_ok, zip_bytes, zip_file,
    };
    use std::io::Cursor;
    use std::io::Write;

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
