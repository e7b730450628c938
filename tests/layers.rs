//! The import direction of `src/`, held by a test rather than by convention.
//!
//! Every `.rs` file under `src/` belongs to the top-level module it sits in
//! (`src/http/admin/users.rs` → `http`, `src/state.rs` → `state`). Each reference
//! to another top-level module — `use crate::x…`, the groups of
//! `use crate::{x, y::{z, w}}` and inline `crate::x::…` paths in code — must be
//! allowed by [`ALLOWED`]. Comments and string literals are not code and are
//! skipped. A violation is reported as `file:line: from → to`. A second table,
//! [`FRAMEWORKS`], keeps sea-orm in `store` and the web stack in the modules
//! that serve HTTP.

// A test harness: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Who may import whom. A module always may use itself; a module missing on the
/// left may import nothing. The intended direction is
/// `app/cli/main → http → flows → domain / tokens / mail / store`, with `domain`
/// pure, `store` the only module that knows the database, and the demo relying
/// party wired in by `app` alone.
const ALLOWED: &[(&str, &[&str])] = &[
    // Pure types and rules: no I/O, nothing above it.
    ("domain", &[]),
    ("i18n", &[]),
    ("rp_http", &[]),
    ("telemetry", &[]),
    ("config", &["domain"]),
    ("store", &["domain", "config"]),
    ("tokens", &["domain", "store", "config"]),
    ("metrics", &[]),
    ("mail", &["domain", "store", "i18n", "config", "metrics"]),
    // The shared resources flows and handlers work with; never the flows themselves.
    ("state", &["domain", "store", "tokens", "config", "metrics"]),
    ("flows", &["domain", "tokens", "mail", "store", "i18n", "config", "metrics", "state", "rp_http"]),
    // The web layer reaches data only through flows: never `store`, never `demo`.
    ("http", &["flows", "domain", "tokens", "i18n", "config", "metrics", "state"]),
    // The demo is an outside client in-process: it knows neither the web layer nor the store.
    ("demo", &["domain", "tokens", "config", "i18n", "rp_http"]),
    // The command line calls the same flows as the admin API, through `app`.
    ("cli", &["app", "flows", "domain", "config", "telemetry", "state", "tokens"]),
    // The composition root: the only module that may wire the demo in.
    (
        "app",
        &[
            "http",
            "flows",
            "domain",
            "tokens",
            "mail",
            "store",
            "state",
            "config",
            "demo",
            "metrics",
            "telemetry",
            "i18n",
            "rp_http",
        ],
    ),
    ("lib", &[]),
    ("main", &["cli"]),
];

/// Frameworks that belong to one layer: the database mapper to `store`, the web
/// stack to the modules that serve HTTP (`http`, the demo's pages, and `app`,
/// which wires them together). `flows` never sees axum types; `domain` neither.
const FRAMEWORKS: &[(&str, &[&str])] = &[
    ("sea_orm", &["store"]),
    ("axum", &["http", "demo", "app"]),
    ("axum_extra", &["http", "demo", "app"]),
    ("hyper", &["http"]),
    ("hyper_util", &["http"]),
    ("tower", &["http"]),
    ("tower_http", &["http"]),
];

/// One import against the direction.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {} → {}", self.file, self.line, self.from, self.to)
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// `src/http/admin/users.rs` → `http`; `src/state.rs` → `state`.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a path below src/");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

/// The source with comments and the contents of string and char literals
/// blanked out (newlines kept, so line numbers stay right).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || c == 'b') && raw_string_start(&chars, i).is_some() {
            let (hashes, body_start) = raw_string_start(&chars, i).expect("checked");
            for &skipped in &chars[i..body_start] {
                out.push(blank(skipped));
            }
            i = body_start;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `br"`…: the number of `#` and where the body starts.
fn raw_string_start(chars: &[char], at: usize) -> Option<(usize, usize)> {
    if at > 0 && is_ident(chars[at - 1]) {
        return None;
    }
    let mut i = at;
    if chars[i] == 'b' {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    (chars.get(i) == Some(&'"')).then_some((hashes, i + 1))
}

/// `'a'` or `'\n'` rather than a lifetime `'a`.
fn is_char_literal(chars: &[char], at: usize) -> bool {
    match chars.get(at + 1) {
        Some('\\') => true,
        Some(_) => chars.get(at + 2) == Some(&'\''),
        None => false,
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every top-level module named after `crate::` in `code`, with its line.
fn references(code: &str, crate_name: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let line_at = |index: usize| chars[..index].iter().filter(|&&c| c == '\n').count() + 1;
    let needle: Vec<char> = format!("{crate_name}::").chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let starts_here = chars[i..i + needle.len()] == needle[..] && (i == 0 || !is_ident(chars[i - 1]));
        if !starts_here {
            i += 1;
            continue;
        }
        let mut j = skip_space(&chars, i + needle.len());
        if chars.get(j) == Some(&'{') {
            // A group: the first segment of each item at the group's own depth.
            j += 1;
            let mut depth = 1;
            let mut expect_item = true;
            while j < chars.len() && depth > 0 {
                match chars[j] {
                    '{' => {
                        depth += 1;
                        j += 1;
                    }
                    '}' => {
                        depth -= 1;
                        j += 1;
                    }
                    ',' if depth == 1 => {
                        expect_item = true;
                        j += 1;
                    }
                    c if depth == 1 && expect_item && is_ident(c) => {
                        let (word, end) = word_at(&chars, j);
                        if word != "self" {
                            found.push((line_at(j), word));
                        }
                        expect_item = false;
                        j = end;
                    }
                    _ => j += 1,
                }
            }
            i = j;
        } else {
            let (word, end) = word_at(&chars, j);
            if !word.is_empty() {
                found.push((line_at(j), word));
            }
            i = end.max(i + needle.len());
        }
    }
    found
}

fn skip_space(chars: &[char], mut at: usize) -> usize {
    while chars.get(at).is_some_and(|c| c.is_whitespace()) {
        at += 1;
    }
    at
}

fn word_at(chars: &[char], at: usize) -> (String, usize) {
    let mut end = at;
    while chars.get(end).is_some_and(|&c| is_ident(c)) {
        end += 1;
    }
    (chars[at..end].iter().collect(), end)
}

/// Every file under `src/`, with its path relative to `src/`, its module and its code.
fn sources() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&src).expect("below src/");
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (format!("src/{}", relative.display()), module_of(relative), code_only(&source))
        })
        .collect()
}

fn framework_violations() -> Vec<Violation> {
    let mut found = Vec::new();
    for (file, from, code) in sources() {
        for (framework, owners) in FRAMEWORKS {
            if owners.contains(&from.as_str()) {
                continue;
            }
            for (line, _) in references(&code, framework) {
                found.push(Violation { file: file.clone(), line, from: from.clone(), to: (*framework).to_string() });
            }
        }
    }
    found.sort();
    found
}

fn violations() -> Vec<Violation> {
    let mut found = Vec::new();
    for (file, from, code) in sources() {
        let allowed: BTreeSet<&str> = ALLOWED
            .iter()
            .find(|(module, _)| *module == from)
            .map(|(_, to)| to.iter().copied().collect())
            .unwrap_or_default();
        // The binary names the library by its crate name.
        let crate_name = if from == "main" { "kuke_id" } else { "crate" };
        for (line, to) in references(&code, crate_name) {
            if to != from && !allowed.contains(to.as_str()) {
                found.push(Violation { file: file.clone(), line, from: from.clone(), to });
            }
        }
    }
    found.sort();
    found
}

#[test]
fn imports_follow_the_layer_direction() {
    let found = violations();
    let listing: Vec<String> = found.iter().map(ToString::to_string).collect();
    if let Ok(path) = std::env::var("KUKE_ID_LAYERS_REPORT") {
        let report = format!("{} violations\n{}\n", found.len(), listing.join("\n"));
        std::fs::write(&path, report).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    assert!(found.is_empty(), "{} imports against the layer direction:\n{}", found.len(), listing.join("\n"));
}

#[test]
fn frameworks_stay_in_their_layer() {
    let found = framework_violations();
    let listing: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "{} framework uses outside their layer:\n{}", found.len(), listing.join("\n"));
}

#[test]
fn every_module_in_src_is_in_the_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> =
        files.iter().map(|p| module_of(p.strip_prefix(&src).expect("below src/"))).collect();
    let missing: Vec<&String> = modules.iter().filter(|m| !ALLOWED.iter().any(|(name, _)| name == m)).collect();
    assert!(missing.is_empty(), "modules without a row in ALLOWED: {missing:?}");
}

#[test]
fn the_scanner_finds_groups_nested_braces_and_inline_paths() {
    let code = code_only(
        "use crate::{http, store::{users, x::{y}}, self};\n// crate::demo in a comment\nlet s = \"crate::mail\";\nlet x = crate::flows::f(r#\"crate::tokens\"#, 'c');\nfn f<'a>(x: &'a str) -> crate::state::AppState {}\n",
    );
    let found = references(&code, "crate");
    assert_eq!(
        found,
        vec![(1, "http".into()), (1, "store".into()), (4, "flows".into()), (5, "state".into())],
        "{code}"
    );
}
