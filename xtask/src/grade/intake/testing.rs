//! What the intake tests share: a learner's checkout, written as a folder,
//! a zip or a tar.gz, and ways to unpack it expecting success or a reason.

use super::unpacking::unpack_with;
use super::{Candidate, Kind, LIMITS, Limits, Unpacked, unpack};
use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

/// The course's exercise folders, as the grader passes them.
pub(super) fn course() -> Vec<String> {
    vec!["01_send_all".to_string(), "04_counter".to_string()]
}

/// A learner's checkout: taken files, and files that must be ignored.
pub(super) fn checkout() -> Vec<(&'static str, &'static [u8])> {
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

pub(super) const TAKEN: [&str; 3] =
    ["exercises/01_send_all/src/lib.rs", "exercises/04_counter/src/inner/mod.rs", "exercises/04_counter/src/lib.rs"];

pub(super) fn write_folder(dir: &Path, prefix: &str, files: &[(&str, &[u8])]) {
    for (name, contents) in files {
        let path = dir.join(prefix).join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
}

pub(super) fn zip_bytes(prefix: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, contents) in files {
        zip.start_file(format!("{prefix}{name}"), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A tar.gz; `extra` may append hand-made entries before it is closed.
pub(super) fn tar_gz_bytes(
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
pub(super) fn raw_header(name: &[u8], kind: tar::EntryType, size: u64, link: &[u8]) -> tar::Header {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    header
}

pub(super) fn candidate_at(path: &Path, kind: Kind) -> Candidate {
    Candidate { id: "learner".to_string(), source: path.to_path_buf(), kind, problem: None }
}

pub(super) fn unpack_ok(c: &Candidate, staging: &Path) -> Unpacked {
    match unpack(c, &course(), staging).unwrap() {
        Ok(unpacked) => unpacked,
        Err(e) => panic!("{} should be valid: {e}", c.source.display()),
    }
}

pub(super) fn unpack_err(c: &Candidate, staging: &Path) -> String {
    unpack_err_with(c, staging, &LIMITS)
}

pub(super) fn unpack_err_with(c: &Candidate, staging: &Path, limits: &Limits) -> String {
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
pub(super) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
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

pub(super) fn zip_file(dir: &Path, name: &str, bytes: Vec<u8>) -> Candidate {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    candidate_at(&path, Kind::Zip)
}

pub(super) fn tgz_file(dir: &Path, name: &str, bytes: Vec<u8>) -> Candidate {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    candidate_at(&path, Kind::TarGz)
}
