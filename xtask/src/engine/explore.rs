//! The schedule-exploration tier: the learner's unmodified code, rebuilt so
//! that its threads and locks are shuttle's, and tests that run it under
//! many chosen interleavings (`tests/NN_name/explore.rs`, written with
//! `testkit::explore`).
//!
//! The learner writes ordinary `std` code. For this tier their sources are
//! copied to `target/threadwork/explore-sources/<dir>-<variant>/`, where
//! every path that starts with `std` (`std::sync::Mutex`, `use std::{sync,
//! thread}`, `::std::thread::spawn`) is rewritten to start with
//! `crate::__threadwork_std` instead, and `lib.rs` gains that module at its
//! end: all of `std`, except that `sync`, `sync::atomic`, `thread` and
//! `hint` hold shuttle's versions of what shuttle models (`Mutex`,
//! `RwLock`, `Barrier`, `Once`, the atomics, `spawn`, `scope`,
//! `yield_now`, `park`, ...), `time::Instant`, `thread::sleep`,
//! `thread::park_timeout`, `sync::Condvar` and `sync::mpsc` come from
//! tests/crossbeam-model (the virtual clock, timed waits on it, and mpsc
//! on the channel model), and std's serve the rest
//! (`Arc`, `OnceLock`, `available_parallelism`). The rewrite works on
//! tokens (the lexer `rules.rs` uses), so comments and strings are left
//! alone, and it only replaces text within a line: every line keeps its
//! number, and a panic or a stack in the copy points at the learner's own
//! line.
//!
//! `crossbeam_channel` needs no rewrite: the tier's manifest names the
//! model of it on shuttle (tests/crossbeam-model) as the dependency
//! `crossbeam-channel` (see `compile.rs`), for the learner's code and the
//! tests alike.
//!
//! Limits: `core::sync::atomic`, `rayon` and `parking_lot` are not
//! rewritten, so shuttle does not see them, and code naming the last two is
//! refused (see [`refusal`]); a name shuttle lacks resolves to std's, which
//! works but is not explored; code that does not compile this way (a
//! `static` Condvar, say: the model's is not `const`) is not explored (the
//! ordinary tests still judge it).

use crate::engine::compile::Variant;
use crate::engine::course::{Course, Exercise};
use anyhow::{Context, Result};
use proc_macro2::{Spacing, TokenStream, TokenTree};
use std::path::{Path, PathBuf};

/// The module every `std` path is redirected to.
pub const FACADE: &str = "__threadwork_std";

/// Why sources cannot be explored even if they would build: they block in
/// a library shuttle does not control (rayon or parking_lot would block the
/// one OS thread shuttle runs every thread on, and the test would only time
/// out). `crossbeam_channel` is modelled (tests/crossbeam-model); the
/// `crossbeam` umbrella crate is not.
pub fn refusal(src_dir: &Path) -> Option<String> {
    const UNMODELLED: [&str; 3] = ["crossbeam", "rayon", "parking_lot"];
    let mut found = None;
    visit_rs(src_dir, &mut |text| {
        if found.is_none()
            && let Ok(tokens) = text.parse::<TokenStream>()
        {
            found = first_ident(tokens, &UNMODELLED);
        }
    });
    found.map(|name| {
        format!("the code uses `{name}`, whose blocking shuttle does not control, so its schedules cannot be explored")
    })
}

fn visit_rs(dir: &Path, f: &mut dyn FnMut(&str)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit_rs(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            f(&text);
        }
    }
}

fn first_ident(tokens: TokenStream, names: &[&'static str]) -> Option<&'static str> {
    tokens.into_iter().find_map(|token| match token {
        TokenTree::Group(group) => first_ident(group.stream(), names),
        TokenTree::Ident(ident) => names.iter().copied().find(|n| ident == n),
        _ => None,
    })
}

/// Where the rewritten copy of `variant`'s sources goes.
pub fn copy_dir(course: &Course, ex: &Exercise, variant: &Variant) -> PathBuf {
    course.work_dir().join("explore-sources").join(format!("{}-{}-explore", ex.dir, variant.name()))
}

/// Copies the `.rs` files of `src_dir` to the exploration copy for
/// `variant`, rewritten; returns the copy's folder.
pub fn prepare_sources(course: &Course, ex: &Exercise, src_dir: &Path, variant: &Variant) -> Result<PathBuf> {
    let out = copy_dir(course, ex, variant);
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    copy_rewritten(src_dir, src_dir, &out)?;
    let lib = out.join("lib.rs");
    if lib.is_file() {
        let mut text = std::fs::read_to_string(&lib).with_context(|| format!("cannot read {}", lib.display()))?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(FACADE_MODULE);
        std::fs::write(&lib, text).with_context(|| format!("cannot write {}", lib.display()))?;
    }
    Ok(out)
}

fn copy_rewritten(root: &Path, dir: &Path, out_root: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let target = out_root.join(path.strip_prefix(root).expect("under root"));
        if path.is_dir() {
            copy_rewritten(root, &path, out_root)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            std::fs::create_dir_all(target.parent().expect("a file has a parent"))?;
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            std::fs::write(&target, rewrite(&text)).with_context(|| format!("cannot write {}", target.display()))?;
        }
    }
    Ok(())
}

/// `text` with each path that starts with `std` (or `::std`) starting with
/// `crate::__threadwork_std` instead. Text that is not Rust tokens is
/// returned unchanged (the compiler will say what is wrong with it).
pub fn rewrite(text: &str) -> String {
    let Ok(tokens) = text.parse::<TokenStream>() else { return text.to_string() };
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let offset = |at: proc_macro2::LineColumn| -> usize {
        let start = line_starts[at.line - 1];
        start + text[start..].chars().take(at.column).map(char::len_utf8).sum::<usize>()
    };
    let mut replacements: Vec<(usize, usize)> = Vec::new();
    collect(tokens, &mut |start, end| replacements.push((offset(start), offset(end))));
    let mut out = String::with_capacity(text.len() + replacements.len() * 24);
    let mut at = 0;
    for (start, end) in replacements {
        out.push_str(&text[at..start]);
        out.push_str("crate::");
        out.push_str(FACADE);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Calls `replace(start, end)` for each `std` that begins a path (with the
/// `::` before it, if any), in source order.
fn collect(tokens: TokenStream, replace: &mut dyn FnMut(proc_macro2::LineColumn, proc_macro2::LineColumn)) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => collect(group.stream(), replace),
            TokenTree::Ident(ident) if ident == "std" && is_path_sep(&tokens, i + 1) => {
                // `a::std::x` is some other `std`; `::std::x` is the crate.
                let leading = i >= 2 && is_path_sep(&tokens, i - 2);
                if leading && i >= 3 && matches!(tokens[i - 3], TokenTree::Ident(_)) {
                    continue;
                }
                let start = if leading { tokens[i - 2].span().start() } else { ident.span().start() };
                replace(start, ident.span().end());
            }
            _ => {}
        }
    }
}

/// Whether `tokens[i]` and `tokens[i + 1]` are the two colons of `::`.
fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!(
        (tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// Appended to the copy's `lib.rs`: `std`, with shuttle's versions of what
/// shuttle models. Named items shadow the glob imports of std's.
const FACADE_MODULE: &str = r#"
/// Added by `cargo xtask` for schedule exploration: `std`, with shuttle's
/// threads, locks and atomics, and the virtual clock of the crossbeam-channel
/// model (see xtask/src/engine/explore.rs).
#[doc(hidden)]
#[allow(unused_imports, missing_docs, dead_code, clippy::all)]
pub mod __threadwork_std {
    pub use ::std::*;
    pub mod sync {
        pub use ::std::sync::*;
        pub use ::shuttle::sync::{
            Barrier, BarrierWaitResult, Mutex, MutexGuard, Once, OnceState, RwLock, RwLockReadGuard,
            RwLockWriteGuard,
        };
        pub use ::crossbeam_channel::__threadwork::{Condvar, WaitTimeoutResult, mpsc};
        pub mod atomic {
            pub use ::std::sync::atomic::*;
            pub use ::shuttle::sync::atomic::{
                AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8, AtomicU16,
                AtomicU32, AtomicU64, AtomicUsize, fence,
            };
        }
    }
    pub mod thread {
        pub use ::std::thread::*;
        pub use ::shuttle::thread::{
            Builder, JoinHandle, LocalKey, Scope, ScopedJoinHandle, Thread, ThreadId, current, park, scope, spawn,
            yield_now,
        };
        pub use ::crossbeam_channel::__threadwork::{park_timeout, sleep};
    }
    pub mod time {
        pub use ::std::time::*;
        pub use ::crossbeam_channel::__threadwork::Instant;
    }
    pub mod hint {
        pub use ::std::hint::*;
        pub use ::shuttle::hint::spin_loop;
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_std_go_through_the_facade_and_keep_their_lines() {
        let before = "use std::sync::{Condvar, Mutex};\n\
                      use std::{thread, time::Duration};\n\
                      // std::sync::Mutex in a comment\n\
                      fn f() { let s = \"std::thread\"; ::std::thread::spawn(|| ()); }\n\
                      mod m { use crate::other::std::x; }\n";
        let after = rewrite(before);
        assert_eq!(
            after,
            "use crate::__threadwork_std::sync::{Condvar, Mutex};\n\
             use crate::__threadwork_std::{thread, time::Duration};\n\
             // std::sync::Mutex in a comment\n\
             fn f() { let s = \"std::thread\"; crate::__threadwork_std::thread::spawn(|| ()); }\n\
             mod m { use crate::other::std::x; }\n"
        );
        assert_eq!(before.lines().count(), after.lines().count());
    }

    #[test]
    fn code_that_blocks_outside_shuttle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lib.rs"), "// rayon in a comment\nuse std::sync::Mutex;\n").unwrap();
        assert_eq!(refusal(dir.path()), None);
        std::fs::create_dir(dir.path().join("m")).unwrap();
        std::fs::write(dir.path().join("m/x.rs"), "fn f() { let (tx, rx) = crossbeam_channel::bounded(1); }").unwrap();
        assert_eq!(refusal(dir.path()), None, "crossbeam-channel is modelled");
        std::fs::write(dir.path().join("m/x.rs"), "fn f() { rayon::join(|| 1, || 2); }").unwrap();
        assert!(refusal(dir.path()).unwrap().starts_with("the code uses `rayon`"));
    }

    #[test]
    fn text_that_is_not_tokens_is_left_alone() {
        assert_eq!(rewrite("fn f() { \"unclosed }"), "fn f() { \"unclosed }");
    }

    #[test]
    fn multibyte_text_before_a_path_keeps_offsets_right() {
        assert_eq!(
            rewrite("/// é ü\nfn f() { let _ = 'é'; std::thread::yield_now(); }"),
            "/// é ü\nfn f() { let _ = 'é'; crate::__threadwork_std::thread::yield_now(); }"
        );
    }
}
