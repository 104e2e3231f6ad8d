//! The course's own invariants, as ordinary tests: every exercise has its
//! three faces, its lesson and hints, a stub that is a stub, mutants that say
//! what they get wrong, and names that agree with the curriculum.

mod support;

use std::path::Path;
use std::process::Command;
use support::course_root;

fn info() -> toml::Table {
    std::fs::read_to_string(course_root().join("exercises/info.toml")).unwrap().parse().unwrap()
}

fn exercises() -> Vec<toml::Table> {
    info()["exercise"].as_array().unwrap().iter().map(|e| e.as_table().unwrap().clone()).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{} must exist: {e}", path.display()))
}

fn manifest(path: &Path) -> toml::Table {
    read(path).parse().unwrap()
}

#[test]
fn the_top_level_has_what_the_readme_promises() {
    let root = course_root();
    for path in ["Cargo.toml", "Cargo.lock", "README.md", "ARCHITECTURE.md", ".cargo/config.toml", ".ci/run"] {
        assert!(root.join(path).is_file(), "{path} is missing");
    }
    for dir in ["exercises", "solutions", "tests", "xtask", "tests/testkit", "tests/protocol"] {
        assert!(root.join(dir).is_dir(), "{dir}/ is missing");
    }
    assert!(read(&root.join(".cargo/config.toml")).contains("xtask = \"run --quiet --package xtask --\""));
}

#[test]
fn every_exercise_has_its_three_faces_named_alike() {
    let root = course_root();
    for (i, ex) in exercises().iter().enumerate() {
        let name = ex["name"].as_str().unwrap();
        let dir = ex["dir"].as_str().unwrap();
        assert_eq!(dir, format!("{:02}_{name}", i + 1), "folder names are NN_name in course order");
        let ex_manifest = manifest(&root.join("exercises").join(dir).join("Cargo.toml"));
        assert_eq!(ex_manifest["package"]["name"].as_str(), Some(name), "{dir}: crate name");
        assert_eq!(ex_manifest["package"]["edition"].as_str(), Some("2024"), "{dir}: edition 2024");
        assert_eq!(
            read(&root.join("solutions").join(dir).join("Cargo.toml")),
            read(&root.join("exercises").join(dir).join("Cargo.toml")),
            "{dir}: the solution's manifest is the exercise's"
        );
        let tests_manifest = manifest(&root.join("tests").join(dir).join("Cargo.toml"));
        assert_eq!(tests_manifest["package"]["name"].as_str(), Some(format!("{name}_tests").as_str()));
        for file in ["src/lib.rs", "README.md"] {
            assert!(root.join("exercises").join(dir).join(file).is_file(), "exercises/{dir}/{file} is missing");
        }
        assert!(root.join("solutions").join(dir).join("src/lib.rs").is_file(), "solutions/{dir}/src/lib.rs");
        assert!(root.join("tests").join(dir).join("main.rs").is_file(), "tests/{dir}/main.rs");
    }
}

#[test]
fn stubs_are_stubs_and_lessons_and_hints_are_there() {
    let root = course_root();
    for ex in exercises() {
        let name = ex["name"].as_str().unwrap();
        let dir = ex["dir"].as_str().unwrap();
        let stub = read(&root.join("exercises").join(dir).join("src/lib.rs"));
        assert!(stub.contains("todo!()"), "{dir}: the stub's bodies are todo!()");
        assert!(stub.contains("// TODO"), "{dir}: the stub marks where the learner works");
        let lesson = read(&root.join("exercises").join(dir).join("README.md"));
        assert!(lesson.contains(&format!("cargo xtask check {name}")), "{dir}: the lesson says how to check it");
        let hints = ex.get("hints").and_then(|h| h.as_array()).map_or(0, |h| h.len());
        assert!(hints >= 2, "{dir}: at least two hints, gentlest first");
    }
}

#[test]
fn every_exercise_has_mutants_that_name_their_mistake() {
    let root = course_root();
    let catalogue: toml::Table = read(&root.join("tests/categories.toml")).parse().unwrap();
    let categories = catalogue["category"].as_table().unwrap();
    for ex in exercises() {
        let dir = ex["dir"].as_str().unwrap();
        let mutants = root.join("tests").join(dir).join("mutants");
        let files: Vec<_> = std::fs::read_dir(&mutants)
            .unwrap_or_else(|_| panic!("tests/{dir}/mutants/ is missing"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        assert!(files.len() >= 3, "tests/{dir}/mutants holds at least 3 mutants, found {}", files.len());
        for f in files {
            let text = read(&f);
            let first = text.lines().next().unwrap_or_default().to_string();
            assert!(
                first.starts_with("//! MUTANT: ") && first.len() > 20,
                "{} must start with `//! MUTANT: <the mistake>`",
                f.display()
            );
            let second = text.lines().nth(1).unwrap_or_default();
            let category = second.strip_prefix("//! CATEGORY: ").unwrap_or_default();
            assert!(
                categories.contains_key(category),
                "{} must name on its second line, `//! CATEGORY: <category>`, one of the categories in \
                 tests/categories.toml (found {second:?})",
                f.display()
            );
        }
    }
}

#[test]
fn per_test_settings_name_tests_that_exist() {
    let root = course_root();
    for ex in exercises() {
        let dir = ex["dir"].as_str().unwrap();
        let Some(tests) = ex.get("tests").and_then(|t| t.as_table()) else { continue };
        let mut sources = String::new();
        for entry in std::fs::read_dir(root.join("tests").join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&read(&path));
            }
        }
        let explore = std::fs::read_to_string(root.join("tests").join(dir).join("explore.rs")).unwrap_or_default();
        for (test, settings) in tests {
            assert!(
                sources.contains(&format!("fn {test}()")),
                "info.toml sets `{test}` but tests/{dir} has no such test"
            );
            // Grading settles a test by its explored twin (engine/confirm.rs):
            // an ordinary test of this exercise, named after an explored one.
            for key in ["explored_by", "fails_with"] {
                let Some(by) = settings.get(key) else { continue };
                let by = by.as_str().unwrap();
                assert!(
                    by.starts_with("explored_") && explore.contains(&format!("fn {by}()")),
                    "`{test}` in {dir}: {key} `{by}`, which tests/{dir}/explore.rs does not define"
                );
                assert!(
                    !test.starts_with("explored_"),
                    "`{test}` is itself explored: explored_by is for ordinary tests"
                );
                assert!(settings.get("schedule_free").is_none(), "`{test}`: explored_by or schedule_free, not both");
            }
        }
    }
}

/// `reset` and the grader find the stub by these ids; they must match the
/// stub as committed. After editing a stub, paste the line this prints.
#[test]
fn recorded_stub_ids_match_the_stub_files() {
    let root = course_root();
    for ex in exercises() {
        let dir = ex["dir"].as_str().unwrap();
        let src = root.join("exercises").join(dir).join("src");
        let mut files: Vec<String> = std::fs::read_dir(&src)
            .unwrap()
            .map(|e| format!("src/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        files.sort();
        let mut actual = Vec::new();
        for f in &files {
            let out = Command::new("git")
                .args(["hash-object", &format!("exercises/{dir}/{f}")])
                .current_dir(&root)
                .output()
                .expect("git is needed to check stub ids");
            actual.push(format!("\"{f}\" = \"{}\"", String::from_utf8_lossy(&out.stdout).trim()));
        }
        let recorded: Vec<String> = ex
            .get("stub")
            .and_then(|s| s.as_table())
            .map(|t| t.iter().map(|(k, v)| format!("\"{k}\" = \"{}\"", v.as_str().unwrap_or_default())).collect())
            .unwrap_or_default();
        assert_eq!(
            recorded,
            actual,
            "exercises/info.toml: the stub of {dir} changed; set its entry to\nstub = {{ {} }}",
            actual.join(", ")
        );
    }
}

/// The curriculum (`../shared/curriculum.md` beside the course) is the
/// contract: the course's exercises are its rows, in its order.
#[test]
fn exercises_follow_the_curriculum() {
    let curriculum = course_root().join("../shared/curriculum.md");
    let Ok(text) = std::fs::read_to_string(&curriculum) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs with the curriculum beside the course, at {}",
            curriculum.display()
        );
        eprintln!("note: {} not found; skipping the curriculum check", curriculum.display());
        return;
    };
    let rows: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 3 && cells[1].len() == 2 && cells[1].chars().all(|c| c.is_ascii_digit()))
                .then(|| (cells[1].to_string(), cells[2].trim_matches('`').to_string()))
        })
        .collect();
    assert!(rows.len() >= 13, "the curriculum table has its thirteen rows");
    for (i, ex) in exercises().iter().enumerate() {
        let (number, crate_name) = &rows[i];
        assert_eq!(
            ex["dir"].as_str().unwrap(),
            format!("{number}_{crate_name}"),
            "exercise {} follows the curriculum",
            i + 1
        );
    }
}

/// The `mod name;` declarations of a Rust file (not inline `mod name { }`).
fn declared_modules(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("pub ").or_else(|| line.strip_prefix("pub(crate) ")).unwrap_or(line);
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
            name.chars().all(|c| c.is_alphanumeric() || c == '_').then(|| name.to_string())
        })
        .collect()
}

/// Every file reachable from `root` through `mod` declarations.
fn module_tree(root: &Path) -> Vec<std::path::PathBuf> {
    let mut seen = Vec::new();
    let mut stack = vec![(root.to_path_buf(), true)];
    while let Some((file, owns_dir)) = stack.pop() {
        if seen.contains(&file) {
            continue;
        }
        let text = read(&file);
        let dir = if owns_dir {
            file.parent().unwrap().to_path_buf()
        } else {
            file.parent().unwrap().join(file.file_stem().unwrap())
        };
        for name in declared_modules(&text) {
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            match (flat.is_file(), nested.is_file()) {
                (true, _) => stack.push((flat, false)),
                (false, true) => stack.push((nested, true)),
                _ => panic!("{} declares `mod {name};` but has no file for it", file.display()),
            }
        }
        seen.push(file);
    }
    seen
}

/// rust-analyzer analyses a file only when it belongs to a target of a
/// workspace member. So every exercise's sources and every hidden test file
/// must be reachable from one (mutants and solutions stay outside on
/// purpose), and the exploration tests, which only `cargo xtask` runs, must
/// still compile as the editor sees them: against the exercise on std.
#[test]
fn every_exercise_and_hidden_test_file_is_in_a_workspace_target() {
    let root = course_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut reachable = Vec::new();
    for package in metadata["packages"].as_array().unwrap() {
        for target in package["targets"].as_array().unwrap() {
            reachable.extend(module_tree(Path::new(target["src_path"].as_str().unwrap())));
        }
    }
    let mut files = Vec::new();
    for ex in exercises() {
        let dir = ex["dir"].as_str().unwrap();
        for top in [root.join("exercises").join(dir).join("src"), root.join("tests").join(dir)] {
            let mut stack = vec![top];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() && path.file_name().is_some_and(|n| n != "mutants") {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        files.push(path);
                    }
                }
            }
        }
    }
    let unseen: Vec<_> = files.iter().filter(|f| !reachable.contains(f)).collect();
    assert!(unseen.is_empty(), "files no workspace target reaches, so editors do not analyse them: {unseen:#?}");

    for ex in exercises() {
        let dir = ex["dir"].as_str().unwrap();
        if !root.join("tests").join(dir).join("explore.rs").is_file() {
            continue;
        }
        let package = format!("{}_tests", ex["name"].as_str().unwrap());
        let output = Command::new(&cargo)
            .args(["check", "--quiet", "-p", &package, "--test", "explore", "--manifest-path"])
            .arg(root.join("Cargo.toml"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{package}'s explore.rs does not compile as editors see it:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

// ---------------------------------------------------------------------------
// Architecture invariants of xtask itself: the engine judges code and knows
// nothing of commands; commands reach the build and run steps only through
// the engine's one entry point, `engine::judge`; no two modules import each
// other, however indirectly.

/// Every `.rs` file under `dir`, with its text less its comments (a comment
/// may name anything).
fn sources_under(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = read(&path);
                let code: Vec<&str> = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect();
                out.push((path, code.join("\n")));
            }
        }
    }
    out.sort();
    out
}

/// Every module path a source names from the crate root or its parent
/// (`crate::a::b`, `crate::{a, b::c}`, `super::a`), as `a::b` strings;
/// `super` is resolved against `module`, the file's own module path.
fn named_paths(module: &[String], code: &str) -> Vec<String> {
    let mut found = Vec::new();
    // White space kept only where it parts two words (`use crate`), so that
    // a path reads the same however it is laid out.
    let spaced: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tokens = String::new();
    let chars: Vec<char> = spaced.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
        if c != ' ' || (word(chars.get(i.wrapping_sub(1))) && word(chars.get(i + 1))) {
            tokens.push(c);
        }
    }
    for (start, base) in [("crate::", Vec::new()), ("super::", module[..module.len().saturating_sub(1)].to_vec())] {
        for (at, _) in tokens.match_indices(start) {
            let before = tokens[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &tokens[at + start.len()..];
            paths_in(&base, rest, &mut found);
        }
    }
    found
}

/// The paths at the start of `rest` (a path, or a `{...}` group of them),
/// each prefixed by `base`.
fn paths_in(base: &[String], rest: &str, found: &mut Vec<String>) {
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut end = group.len();
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        let inner = &group[..end];
        let mut depth = 0;
        let mut from = 0;
        for (i, c) in inner.char_indices().chain(std::iter::once((inner.len(), ','))) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    paths_in(base, &inner[from..i], found);
                    from = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let mut path = base.to_vec();
    let mut rest = rest;
    loop {
        let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if ident.is_empty() {
            break;
        }
        path.push(ident.clone());
        rest = &rest[ident.len()..];
        match rest.strip_prefix("::") {
            Some(more) if more.starts_with('{') => {
                paths_in(&path, more, found);
                return;
            }
            Some(more) => rest = more,
            None => break,
        }
    }
    if !path.is_empty() && path.len() > base.len() {
        found.push(path.join("::"));
    }
}

/// Each xtask source file with its module path (`engine::runner`,
/// `grade::reports::csv`, `check`).
fn xtask_modules() -> Vec<(Vec<String>, String)> {
    let src = course_root().join("xtask/src");
    sources_under(&src)
        .into_iter()
        .map(|(path, code)| {
            let rel = path.strip_prefix(&src).unwrap().with_extension("");
            let mut module: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if module.last().is_some_and(|m| m == "mod" || m == "main") {
                module.pop();
            }
            (module, code)
        })
        .collect()
}

/// The commands: what the engine must never name.
const COMMANDS: [&str; 11] = [
    "check",
    "grade",
    "verify",
    "bench",
    "report",
    "watch",
    "replay",
    "selftest",
    "list",
    "merge",
    "gradescope_bundle",
];

#[test]
fn the_engine_names_no_command() {
    let mut offences = Vec::new();
    for (module, code) in xtask_modules().iter().filter(|(m, _)| m.first().is_some_and(|m| m == "engine")) {
        for path in named_paths(module, code) {
            if COMMANDS.contains(&path.split("::").next().unwrap()) {
                offences.push(format!("{} names {path}", module.join("::")));
            }
        }
    }
    assert!(offences.is_empty(), "the engine must not know the commands that call it:\n{}", offences.join("\n"));
}

/// The engine's modules that build or run code, or take a step of that
/// pipeline: commands go through `engine::judge` instead.
const PIPELINE: [&str; 5] = ["compile", "runner", "explore", "reach", "rules"];

#[test]
fn outside_the_engine_only_the_judge_builds_and_runs_tests() {
    let mut offences = Vec::new();
    for (module, code) in xtask_modules().iter().filter(|(m, _)| m.first().is_none_or(|m| m != "engine")) {
        for path in named_paths(module, code) {
            let parts: Vec<&str> = path.split("::").collect();
            if parts.first() == Some(&"engine") && parts.get(1).is_some_and(|m| PIPELINE.contains(m)) {
                offences.push(format!("{} names {path}", module.join("::")));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "only engine::judge may build and run tests; commands call it instead:\n{}",
        offences.join("\n")
    );
}

#[test]
fn xtask_has_no_import_cycle() {
    // A node is one of the engine's modules, or one command (a folder of
    // them counts as one: a command's own files may use each other).
    let node = |path: &[String]| -> Option<String> {
        match path {
            [engine, module, ..] if engine == "engine" => Some(format!("engine::{module}")),
            [engine] if engine == "engine" => None,
            [first, ..] => Some(first.clone()),
            [] => None,
        }
    };
    let modules = xtask_modules();
    let known: std::collections::BTreeSet<String> = modules.iter().filter_map(|(m, _)| node(m)).collect();
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for (module, code) in &modules {
        let Some(from) = node(module) else { continue };
        for path in named_paths(module, code) {
            let parts: Vec<String> = path.split("::").map(str::to_string).collect();
            if let Some(to) = node(&parts).filter(|to| *to != from && known.contains(to)) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a path back to where it started.
    fn cycle_from(
        at: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        trail: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = trail.iter().position(|t| t == at) {
            let mut cycle = trail[i..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        trail.push(at.to_string());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = cycle_from(next, edges, trail, done) {
                return Some(cycle);
            }
        }
        trail.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = Default::default();
    for start in &known {
        if let Some(cycle) = cycle_from(start, &edges, &mut Vec::new(), &mut done) {
            panic!("an import cycle among xtask's modules: {}", cycle.join(" → "));
        }
    }
    assert!(edges.contains_key("check") && edges.contains_key("engine::judge"), "the module graph was read");
}

#[test]
fn the_module_path_reader_reads_groups_and_super() {
    let module = vec!["engine".to_string(), "runner".to_string()];
    let code = "use crate::engine::{course::Course, outcome::{TestOutcome, TestStatus}};\n\
                use super::stacks;\nlet x = crate::grade::suite::SUITE_DIR;\nmycrate::no";
    assert_eq!(
        named_paths(&module, code),
        [
            "engine::course::Course",
            "engine::outcome::TestOutcome",
            "engine::outcome::TestStatus",
            "grade::suite::SUITE_DIR",
            "engine::stacks"
        ]
    );
}
