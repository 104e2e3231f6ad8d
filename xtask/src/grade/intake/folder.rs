//! Reading a submission that is a folder.

use super::discovery::has_exercises;
use super::unpacking::{Place, Taken, TakenArea, check_source_name, is_rust_file, too_big, too_many};
use super::{InvalidSubmission, Limits, invalid, show};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Reads a folder submission: only the `src/` folders of the course's
/// exercises are walked, so a `target/` of gigabytes costs nothing.
pub(super) fn read_folder(source: &Path, area: &TakenArea, limits: &Limits) -> Result<Taken, InvalidSubmission> {
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

pub(super) fn no_exercises() -> InvalidSubmission {
    invalid("no exercises/ folder found, neither at the top nor one folder down: send your checkout of the course")
}

pub(super) fn ambiguous(names: &[String]) -> InvalidSubmission {
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

#[cfg(test)]
mod tests {
    use super::super::Kind;
    use super::super::testing::{candidate_at, checkout, tree, unpack_err, unpack_ok, write_folder};
    use std::fs;

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
}
