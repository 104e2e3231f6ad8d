//! Reading a `.zip` submission.

use super::listed::{EntryKind, Listed, plan};
use super::unpacking::{Taken, TakenArea, too_many};
use super::{InvalidSubmission, Limits, invalid, show};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Longest link target read from a zip (where it is the entry's contents).
const MAX_LINK_TARGET: u64 = 4096;

pub(super) fn read_zip(path: &Path, area: &TakenArea, limits: &Limits) -> Result<Taken, InvalidSubmission> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{checkout, unpack_err, zip_bytes, zip_file};

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
}
