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
        for test in tests.keys() {
            assert!(
                sources.contains(&format!("fn {test}()")),
                "info.toml sets `{test}` but tests/{dir} has no such test"
            );
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
