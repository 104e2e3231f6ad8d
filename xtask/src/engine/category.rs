//! The fixed list of mistakes a failed test names (`category`), and the
//! catalogue `tests/categories.toml` that explains each one and points to
//! the lesson section to reread.
//!
//! A hidden test declares its category (`testkit::category::failing_means`)
//! and the harness writes it into the result file; the runner names the rest
//! itself: a panic raised in the learner's code or a crash is `panic`, a
//! timeout `timeout`, a broken rule `forbidden_construct`, a build failure
//! `compile_error`, and a failure that declared nothing `wrong_result`.

use crate::engine::course::{Course, Exercise};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The fixed list itself: the protocol crate's (`tests/protocol`), which
/// is the test kit's `Category` too, so both sides of the harness speak of
/// one list.
pub use protocol::Category;

/// The file, relative to the course root.
pub const CATALOGUE_PATH: &str = "tests/categories.toml";

/// One category's words for the learner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub title: String,
    pub explanation: String,
    /// The exercise folder whose lesson to reread; none means the failing
    /// exercise's own.
    pub exercise: Option<String>,
    /// A heading of that lesson, word for word.
    pub section: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    format_version: u32,
    category: BTreeMap<String, Entry>,
}

/// The explanations of the categories. A course without the file (the
/// runner's fixture courses) has an empty catalogue: categories are then
/// shown by name alone.
#[derive(Debug, Default)]
pub struct Catalogue {
    entries: BTreeMap<String, Entry>,
}

impl Catalogue {
    pub fn load(course: &Course) -> Result<Catalogue> {
        let path = course.root.join(CATALOGUE_PATH);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Catalogue::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let file: CatalogueFile = toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
        if file.format_version != 1 {
            bail!("{} has format_version {}; this runner reads 1", path.display(), file.format_version);
        }
        if let Some(unknown) = file.category.keys().find(|name| Category::from_name(name).is_none()) {
            bail!("{} explains `{unknown}`, which is not on the fixed list of categories", path.display());
        }
        Ok(Catalogue { entries: file.category })
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Where to reread: `exercises/04_counter/README.md, section “Check, then act”`.
    pub fn reread(&self, name: &str, failing: &Exercise) -> Option<String> {
        let entry = self.get(name)?;
        let dir = entry.exercise.as_deref().unwrap_or(&failing.dir);
        Some(format!("exercises/{dir}/README.md, section “{}”", entry.section))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_explains_every_category_and_points_at_real_sections() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let course = Course::load(root).unwrap();
        let catalogue = Catalogue::load(&course).unwrap();
        for name in Category::ALL.map(Category::as_str) {
            let entry = catalogue.get(name).unwrap_or_else(|| panic!("{CATALOGUE_PATH} does not explain `{name}`"));
            let sentences = entry.explanation.matches(". ").count() + 1;
            assert!((2..=3).contains(&sentences), "`{name}` is explained in {sentences} sentences, not two or three");
            let lessons: Vec<&str> = match &entry.exercise {
                Some(dir) => vec![dir.as_str()],
                None => course.exercises.iter().map(|e| e.dir.as_str()).collect(),
            };
            for dir in lessons {
                let readme = std::fs::read_to_string(root.join("exercises").join(dir).join("README.md")).unwrap();
                let heading = format!("## {}", entry.section);
                assert!(
                    readme.lines().any(|l| l.trim_end() == heading),
                    "`{name}` points at “{}”, which exercises/{dir}/README.md has no heading for",
                    entry.section
                );
            }
        }
    }
}
