//! `JsonLines`: one JSON object per line, for programs (format_version 1):
//!
//! * `{"type":"test", "exercise", "name", "status", "message", "location",
//!   "category"?, "duration_ms", "learner_panics"}` for each test, in
//!   declaration order (`category` for a test that did not pass);
//! * `{"type":"exercise", "name", "dir", "status", "passed", "total",
//!   "build_ms", "compiler_output"?}` after an exercise's tests;
//! * `{"type":"summary", "passed_exercises", "total_exercises",
//!   "checked", "next"}` last.

use super::Reporter;
use crate::engine::course::{Course, Exercise};
use crate::engine::outcome::{ExerciseOutcome, TestOutcome};
use serde_json::json;
use std::io::Write;

/// One JSON object per line, for programs.
pub struct JsonLines {
    out: std::io::Stdout,
}

impl JsonLines {
    pub fn new() -> Self {
        JsonLines { out: std::io::stdout() }
    }

    fn emit(&mut self, value: serde_json::Value) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }
}

impl Reporter for JsonLines {
    fn exercise_started(&mut self, _: &Course, _: &Exercise) {}

    fn exercise_remembered(&mut self, _course: &Course, ex: &Exercise) {
        self.emit(json!({
            "format_version": 1, "type": "exercise", "name": ex.name, "dir": ex.dir,
            "status": "passed", "remembered": true,
        }));
    }

    fn test_finished(&mut self, _course: &Course, ex: &Exercise, test: &TestOutcome) {
        let mut value = serde_json::to_value(test).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("format_version".into(), 1.into());
            obj.insert("type".into(), "test".into());
            obj.insert("exercise".into(), ex.name.clone().into());
        }
        self.emit(value);
    }

    fn exercise_finished(&mut self, _course: &Course, _ex: &Exercise, outcome: &ExerciseOutcome) {
        let mut value = json!({
            "format_version": 1, "type": "exercise", "name": outcome.name, "dir": outcome.dir,
            "status": outcome.status, "passed": outcome.passed_count(), "total": outcome.tests.len(),
            "build_ms": outcome.build_duration.as_millis() as u64,
        });
        if let Some(text) = &outcome.compiler_output {
            value["compiler_output"] = text.clone().into();
        }
        if let Some(built_in) = outcome.exploration_build_duration {
            value["exploration_build_ms"] = (built_in.as_millis() as u64).into();
        }
        self.emit(value);
    }

    fn summary(&mut self, course: &Course, passed: usize, checked: usize, next: Option<&Exercise>) {
        self.emit(json!({
            "format_version": 1, "type": "summary", "passed_exercises": passed,
            "total_exercises": course.exercises.len(), "checked": checked,
            "next": next.map(|e| e.name.clone()),
        }));
    }
}
