//! Which code is the learner's. The runner does not know where a command
//! keeps the sources it judges (the learner's folder, a copy of one file, a
//! grader's staging folder, the rewritten copy the exploration tier builds):
//! whoever asks for a judgement says so, with one of these.

use crate::engine::course::Course;
use std::path::{Path, PathBuf};

/// The folders of the code under test and of the hidden tests, for telling
/// a panic's location or a stack frame's place apart.
#[derive(Debug, Clone)]
pub struct LearnerCode {
    /// Where the code under test lives: the sources judged, and any copy of
    /// them built in their place.
    own: Vec<PathBuf>,
    /// Where the hidden tests and their kit live.
    tests: Vec<PathBuf>,
    /// The course root, to compare places written relative to it.
    root: PathBuf,
}

impl LearnerCode {
    /// Code in `own` is under test; the hidden tests in `tests` are not.
    pub fn new(course: &Course, own: Vec<PathBuf>, tests: &Path) -> LearnerCode {
        LearnerCode { own, tests: vec![tests.to_path_buf()], root: course.root.clone() }
    }

    /// The same, with one more folder of the code under test (the
    /// exploration tier's rewritten copy).
    pub fn with(&self, copy: PathBuf) -> LearnerCode {
        let mut more = self.clone();
        more.own.push(copy);
        more
    }

    /// Whether a panic at `location` was raised by the code under test:
    /// anywhere but the hidden tests, the test kit (wherever a course keeps
    /// it: a fixture course borrows the real one's) and the libraries the
    /// course depends on (shuttle reporting a deadlock is not the learner's
    /// panic; the standard library called from the learner's code is).
    pub fn raised_panic(&self, location: &str) -> bool {
        !location.is_empty()
            && !self.tests.iter().any(|dir| self.within(dir, location))
            && !["tests/testkit/", "tests/protocol/"]
                .iter()
                .any(|kit| location.starts_with(kit) || location.contains(&format!("/{kit}")))
            && !location.contains("/registry/src/")
    }

    /// Whether a stack frame's place is in the code under test itself, not
    /// the hidden tests, the test kit, the standard or the C library.
    pub fn holds(&self, place: &str) -> bool {
        self.own.iter().any(|dir| self.within(dir, place))
    }

    /// `place` (absolute, or relative to the course root) is inside `dir`.
    fn within(&self, dir: &Path, place: &str) -> bool {
        let place = Path::new(place);
        place.starts_with(dir) || dir.strip_prefix(&self.root).is_ok_and(|rel| place.starts_with(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> LearnerCode {
        let course = Course::load(&crate::engine::course::default_root()).unwrap();
        let src = course.root.join("exercises/04_counter/src");
        LearnerCode::new(&course, vec![src], &course.root.join("tests/04_counter"))
    }

    #[test]
    fn panics_are_the_learners_unless_the_tests_or_a_library_raised_them() {
        let code = code();
        let root = code.root.to_string_lossy().into_owned();
        assert!(code.raised_panic(&format!("{root}/exercises/04_counter/src/lib.rs:3:5")));
        assert!(code.raised_panic("exercises/04_counter/src/lib.rs:3:5"));
        assert!(code.raised_panic("/rustc/abc/library/core/src/option.rs:1:1"), "std called from the learner's code");
        assert!(!code.raised_panic(&format!("{root}/tests/04_counter/contract.rs:9:1")));
        assert!(!code.raised_panic("tests/testkit/src/probe.rs:9:1"));
        assert!(!code.raised_panic("/elsewhere/tests/protocol/src/lib.rs:9:1"));
        assert!(!code.raised_panic("/root/.cargo/registry/src/index/shuttle-0.9.10/src/lib.rs:1:1"));
        assert!(!code.raised_panic(""));
    }

    #[test]
    fn frames_are_the_learners_only_inside_the_sources_judged() {
        let code = code();
        assert!(code.holds("exercises/04_counter/src/lib.rs"));
        assert!(!code.holds("exercises/05_atomic_counter/src/lib.rs"));
        assert!(!code.holds("tests/04_counter/contract.rs"));
        let copy = code.root.join("target/threadwork/explore-sources/04_counter-learner-explore");
        let explored = code.with(copy.clone());
        assert!(explored.holds(&copy.join("lib.rs").to_string_lossy()));
    }
}
