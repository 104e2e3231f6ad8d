//! What a learner's sources make the compiler read: only files inside their
//! own `src/` folder, or they are not built.
//!
//! rustc runs as the grader's user, and a few macros and attributes make it
//! read a file while it builds and put the file into the program:
//! `include_str!`, `include_bytes!`, `include!`, `#[path]`,
//! `#[debugger_visualizer]`, and the assembler's `.incbin` in `asm!`,
//! `global_asm!` and `naked_asm!`. Pointed outside the exercise
//! (`include_str!("../../../../solutions/05_x/src/lib.rs")`) they would hand a
//! submission the reference solutions or another learner's code. So before
//! every build ([`crate::engine::compile::build_tests_from`], which `grade`, `check`,
//! `watch` and `verify` all go through), [`refusal`] splits each `.rs` file
//! under the sources' folder into tokens with proc-macro2 (as `rules.rs`
//! does) and walks every token, into every group, so the insides of macro
//! calls and `macro_rules!` bodies are seen too. Sources that break the rule
//! are not built: the exercise is a compile error whose compiler output names
//! each place (`src/lib.rs:3`). `check` says so too, so a learner hears it
//! before the grader does.
//!
//! The rule, exactly:
//! - A **plain path** is one string literal written `"..."`, with no
//!   backslash and no suffix, that is not absolute and that, taken one
//!   component at a time from its starting folder (`..` up, `.` nowhere, a
//!   name down), never climbs above `src/` and never passes through a
//!   symbolic link. Raw, byte and escaped strings are refused, not
//!   interpreted.
//! - `include_str` and `include_bytes`, wherever they appear (after `std::`
//!   or `core::` too), are allowed only as `include_str!("plain path")`, with
//!   an optional trailing comma, the path taken from the folder of the file
//!   they are written in (as rustc does). Any other use is refused: imported
//!   or renamed by `use`, given `concat!`, `env!` or a macro variable, passed
//!   to a macro by name.
//! - `include` is held to the same shape when `!` follows it, in a `use`
//!   item, and anywhere inside a macro call's input or a `macro_rules!` body
//!   (where `m!(include, "../x")` can become a call). Anywhere else it is an
//!   ordinary name: `let include = 3;`, `fn include()`.
//! - `path` inside an attribute (`#[...]`, `#![...]`, so also inside
//!   `cfg_attr(...)`) or inside a macro call's input or a `macro_rules!` body
//!   must be written `path = "plain path"`, then nothing or a comma; the
//!   path is taken from the folder of the file. In a macro's input `path` is
//!   refused in any other shape, because a macro can turn `m!(path, "../x")`
//!   into `#[path = "../x"]`. Elsewhere `path` is an ordinary name (`let path
//!   = ...`, `std::path::Path`).
//! - Inside a `macro_rules!` body a path must also stay inside when taken
//!   from `src/` itself: rustc reads it from wherever the macro is called,
//!   and that can be `src/lib.rs`.
//! - `asm`, `global_asm`, `naked_asm` and `debugger_visualizer` are refused
//!   wherever they appear: each can make the compiler read any file, and no
//!   exercise needs them.
//! - A file that is not UTF-8, or not Rust tokens, or that starts with a
//!   `#!` line (which rustc skips unread) is refused: what cannot be read
//!   cannot be checked.
//!
//! Every `.rs` file is scanned, whether the crate's module tree reaches it or
//! not. Where rustc is subtle the rule takes the strict side: `#[path]` in an
//! inline module is read from a deeper folder than its file's, so staying
//! inside from the file's folder is enough. The scan trusts proc-macro2 to
//! split a file where rustc does, except for what rustc skips (a byte order
//! mark, a `#!` line). `include_str!("data.txt")` passes the scan, but
//! `grade` takes only `.rs` files, so that file is missing when an exercise
//! is graded.

use proc_macro2::{Delimiter, Literal, TokenStream, TokenTree};
use std::path::{Component, Path, PathBuf};

/// The sentence that ends every refusal.
const NOT_BUILT: &str = "The grader does not build code that makes the compiler read files outside the \
                         exercise's src/ folder, so this exercise was not built.";

/// Names refused wherever they appear, and what each can do.
const REFUSED_NAMES: [(&str, &str); 4] = [
    ("asm", "can make the assembler read any file into the program (`.incbin`)"),
    ("global_asm", "can make the assembler read any file into the program (`.incbin`)"),
    ("naked_asm", "can make the assembler read any file into the program (`.incbin`)"),
    ("debugger_visualizer", "makes the compiler read a file into the program"),
];

/// Keywords that can stand before `!(...)` without making a macro call
/// (`if !(a && b)`).
const NOT_MACROS: [&str; 8] = ["if", "while", "match", "return", "in", "break", "else", "let"];

/// Why the sources in `src_dir` may not be built, for the learner to read,
/// or `None` when they may.
pub fn refusal(src_dir: &Path) -> Option<String> {
    let findings = scan(src_dir);
    if findings.is_empty() {
        return None;
    }
    let shown = crate::engine::rules::PLACES_SHOWN;
    let mut text = String::new();
    for finding in findings.iter().take(shown) {
        text.push_str(finding);
        text.push('\n');
    }
    if findings.len() > shown {
        text.push_str(&format!("(and {} more places)\n", findings.len() - shown));
    }
    text.push_str(NOT_BUILT);
    Some(text)
}

/// Every problem in the `.rs` files under `src_dir`, one sentence each, file
/// by file in a stable order.
fn scan(src_dir: &Path) -> Vec<String> {
    let mut findings = Vec::new();
    for file in crate::engine::rules::rust_files(src_dir) {
        let rel = file.strip_prefix(src_dir).unwrap_or(&file);
        let shown = format!("src/{}", rel.display());
        let dir = rel.parent().unwrap_or(Path::new(""));
        let text = match std::fs::read(&file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                findings.push(format!("{shown} is not UTF-8, so the grader cannot check what it would read."));
                continue;
            }
            Err(e) => {
                findings.push(format!("{shown} cannot be read ({e}), so the grader cannot check what it would read."));
                continue;
            }
        };
        // rustc skips a byte order mark; proc-macro2 does not.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // rustc also skips a first line `#!...` that does not open an inner
        // attribute, which proc-macro2 would split into tokens: a quote in it
        // could make the scan read the code below as a string.
        if text.strip_prefix("#!").is_some_and(|rest| !rest.trim_start().starts_with('[')) {
            findings.push(format!(
                "{shown} starts with a `#!` line, which the compiler skips and the grader cannot check; remove it."
            ));
            continue;
        }
        match text.parse::<TokenStream>() {
            Ok(tokens) => {
                Walk { src_dir, dir, shown: &shown, findings: &mut findings }.tokens(tokens, Inside::default());
            }
            Err(e) => findings.push(format!(
                "{shown}:{} cannot be split into Rust tokens, so the grader cannot check what it would read.",
                e.span().start().line
            )),
        }
    }
    // proc-macro2 keeps every text it split, for spans, until told to forget:
    // a grader scans thousands of files on one thread. No span outlives this.
    proc_macro2::extra::invalidate_current_thread_spans();
    findings
}

/// Where a token stream is, as far as the rule cares.
#[derive(Clone, Copy, Default)]
struct Inside {
    /// In `#[...]` or `#![...]`.
    attribute: bool,
    /// In a macro call's input or a `macro_rules!` body.
    macro_input: bool,
    /// In a `macro_rules!` body: paths are read from wherever it is called.
    macro_rules: bool,
    /// In a `use` item, between `use` and its `;`.
    use_item: bool,
}

/// Why a path literal does not stay inside `src/`.
enum Leaves {
    Absolute,
    Climbs,
    /// Through this symbolic link, relative to `src/`.
    Link(PathBuf),
}

/// One file's walk.
struct Walk<'a> {
    src_dir: &'a Path,
    /// The file's folder, relative to `src_dir`.
    dir: &'a Path,
    /// `src/...`, for places.
    shown: &'a str,
    findings: &'a mut Vec<String>,
}

impl Walk<'_> {
    fn tokens(&mut self, stream: TokenStream, inside: Inside) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut in_use = inside.use_item;
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let name = name.strip_prefix("r#").unwrap_or(&name);
                    let line = ident.span().start().line;
                    let bang = is_punct(tokens.get(i + 1), '!');
                    match name {
                        // `use<'a>` is a bound, not an item.
                        "use" if !is_punct(tokens.get(i + 1), '<') => in_use = true,
                        "include_str" | "include_bytes" => self.include(name, &tokens[i + 1..], line, inside),
                        "include" if bang || in_use || inside.macro_input => {
                            self.include(name, &tokens[i + 1..], line, inside)
                        }
                        "path" if inside.attribute || inside.macro_input => self.path(&tokens[i + 1..], line, inside),
                        _ => {
                            if let Some((_, does)) = REFUSED_NAMES.iter().find(|(n, _)| *n == name) {
                                let place = self.place(line);
                                self.findings.push(format!("`{name}` at {place} {does}; no exercise needs it."));
                            }
                        }
                    }
                }
                TokenTree::Punct(p) if p.as_char() == ';' => in_use = false,
                TokenTree::Punct(_) | TokenTree::Literal(_) => {}
                TokenTree::Group(group) => {
                    let before = |back: usize| i.checked_sub(back).and_then(|j| tokens.get(j));
                    let mut inner = Inside { use_item: in_use, ..inside };
                    if group.delimiter() == Delimiter::Bracket
                        && (is_punct(before(1), '#') || (is_punct(before(1), '!') && is_punct(before(2), '#')))
                    {
                        inner.attribute = true;
                    }
                    if is_punct(before(1), '!')
                        && matches!(before(2), Some(TokenTree::Ident(m)) if !NOT_MACROS.contains(&m.to_string().as_str()))
                    {
                        inner.macro_input = true;
                    }
                    if matches!(before(1), Some(TokenTree::Ident(_)))
                        && is_punct(before(2), '!')
                        && matches!(before(3), Some(TokenTree::Ident(m)) if m == "macro_rules")
                    {
                        inner.macro_input = true;
                        inner.macro_rules = true;
                    }
                    self.tokens(group.stream(), inner);
                }
            }
        }
    }

    /// `name` (an `include*` macro) followed by `after`.
    fn include(&mut self, name: &str, after: &[TokenTree], line: usize, inside: Inside) {
        let place = self.place(line);
        let input = match after {
            [TokenTree::Punct(bang), TokenTree::Group(input), ..]
                if bang.as_char() == '!' && input.delimiter() == Delimiter::Parenthesis =>
            {
                input.stream().into_iter().collect::<Vec<_>>()
            }
            _ => {
                self.findings.push(format!(
                    "`{name}` at {place} is not written as {name}!(\"path\") (it is imported, renamed, passed to \
                     a macro or called another way), so the grader cannot tell what it would read."
                ));
                return;
            }
        };
        let literal = match input.as_slice() {
            [TokenTree::Literal(l)] => plain_path(l),
            [TokenTree::Literal(l), TokenTree::Punct(comma)] if comma.as_char() == ',' => plain_path(l),
            _ => None,
        };
        match literal {
            Some(literal) => self.stays_inside(&format!("{name}!"), "read", &literal, &place, inside),
            None => self.findings.push(format!(
                "{name}! at {place} must be given one plain string literal, a path like \"data.txt\" inside src/; \
                 the grader cannot tell where anything else leads (concat!, env!, a macro variable, a raw or \
                 escaped string)."
            )),
        }
    }

    /// `path` (in an attribute or a macro's input) followed by `after`.
    fn path(&mut self, after: &[TokenTree], line: usize, inside: Inside) {
        let place = self.place(line);
        match after {
            [TokenTree::Punct(eq), rest @ ..]
                if eq.as_char() == '=' && !is_punct(rest.first(), '=') && !is_punct(rest.first(), '>') =>
            {
                let literal = match rest {
                    [TokenTree::Literal(l)] => plain_path(l),
                    [TokenTree::Literal(l), TokenTree::Punct(comma), ..] if comma.as_char() == ',' => plain_path(l),
                    _ => None,
                };
                match literal {
                    Some(literal) => self.stays_inside("#[path]", "name", &literal, &place, inside),
                    None => self.findings.push(format!(
                        "the path attribute at {place} must be one plain string literal naming a file inside \
                         src/, like #[path = \"other.rs\"]."
                    )),
                }
            }
            _ if inside.macro_input => self.findings.push(format!(
                "`path` at {place} is inside a macro call or macro_rules!, where it could become a #[path] \
                 attribute the grader cannot check; rename it."
            )),
            _ => {}
        }
    }

    /// Checks a plain path given to `what` against the rule.
    fn stays_inside(&mut self, what: &str, verb: &str, literal: &str, place: &str, inside: Inside) {
        let mut starts = vec![self.dir];
        if inside.macro_rules {
            starts.push(Path::new(""));
        }
        for start in starts {
            let Some(leaves) = leaves_src(self.src_dir, start, literal) else { continue };
            let how = match leaves {
                Leaves::Absolute | Leaves::Climbs => "reaches outside it".to_string(),
                Leaves::Link(link) => format!("goes through the symbolic link src/{}", link.display()),
            };
            let why = if inside.macro_rules {
                " (It is in a macro_rules! body, so the compiler reads it from wherever the macro is called, \
                 src/lib.rs included.)"
            } else {
                ""
            };
            self.findings.push(format!(
                "{what} may only {verb} files inside your exercise's src/ folder; `{literal}` at {place} {how}.{why}"
            ));
            return;
        }
    }

    fn place(&self, line: usize) -> String {
        format!("{}:{line}", self.shown)
    }
}

fn is_punct(token: Option<&TokenTree>, c: char) -> bool {
    matches!(token, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

/// The text of a `"..."` literal with no escapes and no suffix.
fn plain_path(literal: &Literal) -> Option<String> {
    let text = literal.to_string();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then(|| inner.to_string())
}

/// How `literal`, taken from `start` (a folder relative to `src_dir`), fails
/// to stay inside `src_dir`, if it does. Components are followed as written,
/// `..` included, so a link anywhere on the way is seen; once a component
/// does not exist the rest cannot be opened, by rustc or anyone.
fn leaves_src(src_dir: &Path, start: &Path, literal: &str) -> Option<Leaves> {
    let mut depth = 0usize;
    let mut at = src_dir.to_path_buf();
    let mut exists = true;
    for component in start.components().chain(Path::new(literal).components()) {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let Some(up) = depth.checked_sub(1) else { return Some(Leaves::Climbs) };
                depth = up;
                at.pop();
            }
            Component::Normal(name) => {
                depth += 1;
                at.push(name);
                if exists {
                    match std::fs::symlink_metadata(&at) {
                        Ok(meta) if meta.file_type().is_symlink() => {
                            return Some(Leaves::Link(at.strip_prefix(src_dir).unwrap_or(&at).to_path_buf()));
                        }
                        Ok(_) => {}
                        Err(_) => exists = false,
                    }
                }
            }
            Component::RootDir | Component::Prefix(_) => return Some(Leaves::Absolute),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the scan says of a `src/` folder holding `files` (path, text).
    fn findings(files: &[(&str, &str)]) -> Vec<String> {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        for (path, text) in files {
            let file = src.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        scan(&src)
    }

    fn accepts(files: &[(&str, &str)]) {
        let found = findings(files);
        assert!(found.is_empty(), "refused {files:?}:\n{}", found.join("\n"));
    }

    /// Refused, with one finding holding every one of `words`.
    fn refuses(files: &[(&str, &str)], words: &[&str]) {
        let found = findings(files);
        assert!(
            found.iter().any(|f| words.iter().all(|w| f.contains(w))),
            "no finding with {words:?} for {files:?}:\n{}",
            found.join("\n")
        );
    }

    fn lib(text: &str) -> [(&str, &str); 1] {
        [("lib.rs", text)]
    }

    #[test]
    fn plain_paths_inside_src_pass() {
        accepts(&lib("const A: &str = include_str!(\"data.txt\");"));
        accepts(&lib("const A: &[u8] = include_bytes!(\"sub/../data.txt\");"));
        accepts(&lib("const A: &str = std::include_str!(\"./sub/data.txt\",);"));
        accepts(&lib("#[doc = core::include_str!(\"notes.md\")]\npub fn f() {}"));
        accepts(&lib("include!(\"more.rs\");"));
        accepts(&[("lib.rs", "mod sub;"), ("sub/mod.rs", "const A: &str = include_str!(\"../data.txt\");")]);
        accepts(&lib("#[path = \"sub/other.rs\"] mod other;\n#[cfg_attr(all(), path = \"x.rs\")] mod x;"));
    }

    #[test]
    fn include_and_path_as_ordinary_names_pass() {
        accepts(&lib("fn include() -> u32 { let include = 3; include }\nstruct S { include: u8 }"));
        accepts(&lib("use std::path::Path;\nfn f(path: &Path) { let mut path = path; path = Path::new(\"/\"); }"));
        accepts(&lib("fn f(include: bool) -> bool { if !(include) { return !(include) } include }"));
        accepts(&lib("#[doc(alias = \"path\")]\npub fn g() {}"));
    }

    #[test]
    fn comments_and_strings_are_not_code() {
        accepts(&lib(
            "// include_str!(\"../../x\")\n/// #[path = \"/etc\"]\nconst S: &str = \"include!(\\\"/x\\\")\";",
        ));
    }

    #[test]
    fn paths_that_climb_out_of_src_are_refused() {
        let climbs = "pub const S: &str = include_str!(\"../../../solutions/05_x/src/lib.rs\");";
        refuses(
            &lib(&format!("\n\n{climbs}")),
            &["include_str! may only read", "`../../../solutions/05_x/src/lib.rs` at src/lib.rs:3 reaches outside it"],
        );
        refuses(&lib("const A: &[u8] = include_bytes!(\"sub/../../x\");"), &["include_bytes!", "reaches outside"]);
        refuses(&[("sub/a.rs", "const A: &str = include_str!(\"../../x\");")], &["at src/sub/a.rs:1"]);
        refuses(&lib("include!(\"../src/lib2.rs\");"), &["include! may only read", "reaches outside"]);
    }

    #[test]
    fn absolute_paths_are_refused() {
        refuses(&lib("const A: &str = include_str!(\"/etc/passwd\");"), &["`/etc/passwd` at src/lib.rs:1"]);
    }

    #[test]
    fn anything_but_one_plain_literal_is_refused() {
        let not_plain = "must be given one plain string literal";
        refuses(&lib("const A: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../..\"));"), &[not_plain]);
        refuses(&lib("const A: &str = include_str!(r\"data.txt\");"), &[not_plain]);
        refuses(&lib("const A: &str = include_str!(\"sub\\x2f..\\x2f..\\x2fx\");"), &[not_plain]);
        refuses(&lib("const A: &[u8] = include_bytes!(b\"data.txt\");"), &[not_plain]);
        refuses(&lib("const A: &str = include_str!(\"a\" \"b\");"), &[not_plain]);
        refuses(&lib("const A: &str = include_str![\"data.txt\"];"), &["not written as include_str!(\"path\")"]);
    }

    #[test]
    fn aliases_and_imports_are_refused() {
        let other = "is not written as";
        refuses(
            &lib("use std::include_str as read;\nconst A: &str = read!(\"../x\");"),
            &["`include_str` at src/lib.rs:1", other],
        );
        refuses(&lib("pub use core::{include_bytes};"), &["`include_bytes`", other]);
        refuses(&lib("use std::include as inc;"), &["`include` at src/lib.rs:1", other]);
    }

    #[test]
    fn names_and_paths_handed_to_macros_are_refused() {
        let calls = "macro_rules! call { ($m:ident, $p:literal) => { $m!($p) } }\n";
        refuses(
            &lib(&format!("{calls}const A: &str = call!(include_str, \"../x\");")),
            &["src/lib.rs:2", "is not written as"],
        );
        refuses(&lib(&format!("{calls}const A: &str = call!(include, \"../x\");")), &["`include` at src/lib.rs:2"]);
        let attr = "macro_rules! m { ($a:ident, $l:literal) => { #[$a = $l] mod m; } }\nm!(path, \"../x.rs\");";
        refuses(&lib(attr), &["`path` at src/lib.rs:2", "could become a #[path]"]);
        let meta = "macro_rules! n { ($b:meta) => { #[$b] mod m; } }\nn!(path = \"../x.rs\");";
        refuses(&lib(meta), &["#[path] may only name", "`../x.rs` at src/lib.rs:2"]);
    }

    #[test]
    fn macro_rules_bodies_are_checked_from_src_itself() {
        let body = "macro_rules! read { ($x:expr) => { include_str!($x) } }";
        refuses(&lib(body), &["include_str! at src/lib.rs:1 must be given one plain string literal"]);
        // From its own folder this stays inside; called from src/lib.rs it
        // would read the file next to src/.
        let grab = "macro_rules! grab { () => { include_str!(\"../data.txt\") } }";
        refuses(&[("sub/a.rs", grab)], &["`../data.txt` at src/sub/a.rs:1", "macro_rules! body"]);
        accepts(&[("sub/a.rs", "macro_rules! grab { () => { include_str!(\"data.txt\") } }")]);
        let module = "macro_rules! m { () => { #[path = \"../x.rs\"] mod x; } }";
        refuses(&[("sub/a.rs", module)], &["#[path] may only name", "macro_rules! body"]);
    }

    #[test]
    fn path_attributes_that_leave_src_are_refused() {
        let outside = "#[path] may only name files inside your exercise's src/ folder";
        refuses(&lib("#[path = \"../../other/lib.rs\"] mod m;"), &[outside, "at src/lib.rs:1 reaches outside"]);
        refuses(&lib("#[path = \"/abs/other/lib.rs\"] mod m;"), &[outside, "`/abs/other/lib.rs`"]);
        refuses(&lib("#[cfg_attr(all(), path = \"../x.rs\")] mod m;"), &[outside, "`../x.rs`"]);
        refuses(&lib("#[cfg_attr(all(), cfg_attr(all(), path = \"../x.rs\"))] mod m;"), &[outside]);
        refuses(&lib("mod m {\n    #![path = \"../x\"]\n}"), &[outside, "src/lib.rs:2"]);
        refuses(&[("sub/a.rs", "#[path = \"../../x.rs\"] mod m;")], &[outside, "src/sub/a.rs:1"]);
        refuses(
            &lib("#[path = concat!(\"x\", \".rs\")] mod m;"),
            &["the path attribute at src/lib.rs:1 must be one plain"],
        );
    }

    #[test]
    fn paths_through_symbolic_links_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("real")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), src.join("up")).unwrap();
        std::fs::write(src.join("lib.rs"), "const A: &str = include_str!(\"up/../data.txt\");").unwrap();
        let found = scan(&src);
        assert!(found.iter().any(|f| f.contains("goes through the symbolic link src/up")), "{found:?}");
    }

    #[test]
    fn assembly_and_debugger_visualizers_are_refused() {
        refuses(&lib("std::arch::global_asm!(\".incbin \\\"/etc/passwd\\\"\");"), &["`global_asm` at src/lib.rs:1"]);
        refuses(&lib("use std::arch::asm;"), &["`asm`"]);
        refuses(&lib("#![debugger_visualizer(gdb_script_file = \"../x.py\")]"), &["`debugger_visualizer`"]);
    }

    #[test]
    fn files_that_cannot_be_read_as_tokens_are_refused() {
        refuses(&lib("fn f() {\n    let s = \"unterminated;\n}"), &["src/lib.rs:", "cannot be split into Rust tokens"]);
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("lib.rs"), b"fn f() {} // \xff").unwrap();
        assert!(scan(tmp.path())[0].contains("src/lib.rs is not UTF-8"));
        accepts(&lib("\u{feff}pub fn f() {}"));
        accepts(&lib("#![allow(dead_code)]\n#! [doc = \"x\"]\npub fn f() {}"));
        // rustc skips the first line; proc-macro2 would read a string from
        // its quote to the next one, hiding the include_str! between them.
        let hidden = "#!/bin/sh \"\nconst A: &str = include_str!(\"../../x\");\n// \"\n";
        refuses(&lib(hidden), &["src/lib.rs starts with a `#!` line"]);
    }

    /// The scan must never refuse the course's own code.
    #[test]
    fn the_courses_stubs_solutions_and_mutants_pass() {
        let root = crate::engine::course::default_root();
        let mut scanned = 0;
        for face in ["exercises", "solutions"] {
            for entry in std::fs::read_dir(root.join(face)).unwrap().flatten() {
                let src = entry.path().join("src");
                if src.is_dir() {
                    assert_eq!(refusal(&src), None, "{}", src.display());
                    scanned += 1;
                }
            }
        }
        for entry in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
            for mutant in crate::engine::rules::rust_files(&entry.path().join("mutants")) {
                let found = findings(&[("lib.rs", &std::fs::read_to_string(&mutant).unwrap())]);
                assert!(found.is_empty(), "{}: {found:?}", mutant.display());
                scanned += 1;
            }
        }
        assert!(scanned > 26, "found only {scanned} sources to scan");
    }

    #[test]
    fn a_refusal_names_its_first_places_and_ends_saying_why() {
        let tmp = tempfile::tempdir().unwrap();
        let reads: String = (0..5).map(|i| format!("const A{i}: &str = include_str!(\"/x{i}\");\n")).collect();
        std::fs::write(tmp.path().join("lib.rs"), reads).unwrap();
        let text = refusal(tmp.path()).unwrap();
        assert!(text.contains("`/x0` at src/lib.rs:1") && text.contains("`/x2` at src/lib.rs:3"), "{text}");
        assert!(!text.contains("`/x3`") && text.contains("(and 2 more places)"), "{text}");
        assert!(text.trim_end().ends_with(NOT_BUILT), "{text}");
        std::fs::write(tmp.path().join("lib.rs"), "pub fn f() {}").unwrap();
        assert_eq!(refusal(tmp.path()), None);
    }
}
