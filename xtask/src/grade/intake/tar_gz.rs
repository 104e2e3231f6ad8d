//! Reading a `.tar.gz` (or `.tgz`) submission.

use super::listed::{EntryKind, Listed, plan};
use super::unpacking::{Taken, TakenArea, size, too_many};
use super::{InvalidSubmission, Limits, invalid, show};
use flate2::read::MultiGzDecoder;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// A `.tar.gz` is a stream: it is read twice, once to list it and plan, once
/// to take the planned entries, so that nothing is held or written for an
/// entry before the whole archive is known to be acceptable.
pub(super) fn read_tar_gz(path: &Path, area: &TakenArea, limits: &Limits) -> Result<Taken, InvalidSubmission> {
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
