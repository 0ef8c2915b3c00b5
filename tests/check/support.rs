//! Shared by the checker tests: source text → parse → check → diagnostics in a form that
//! is easy to assert on.

#![allow(dead_code)]

use rulec::cli::frontend::{analyze, Frontend};
use rulec::diag::Diagnostic;
use rulec::source::SourceMap;

/// One diagnostic, flattened: code, 1-based line and column of the primary label,
/// message, help, and the source text under every label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub code: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: String,
    /// The text under each label, primary first.
    pub labelled: Vec<String>,
}

/// Parses and checks several files as one set.
pub fn frontend(files: &[(&str, &str)]) -> Frontend {
    let mut sources = SourceMap::new();
    for (path, text) in files {
        sources.add(*path, *text);
    }
    analyze(sources)
}

fn flatten(fe: &Frontend, d: &Diagnostic) -> Found {
    let primary = d.primary().expect("a primary label");
    let file = fe.sources.get(primary.file);
    let (line, column) = file.line_col(primary.span.start);
    Found {
        code: d.code.as_str().to_string(),
        file: file.path.clone(),
        line,
        column,
        message: d.message.clone(),
        help: d.help.clone().unwrap_or_default(),
        labelled: d
            .labels
            .iter()
            .map(|l| fe.sources.get(l.file).slice(l.span).to_string())
            .collect(),
    }
}

/// Every diagnostic of a set of files, sorted as `rulec check` prints them.
pub fn check_files(files: &[(&str, &str)]) -> Vec<Found> {
    let fe = frontend(files);
    fe.diagnostics.iter().map(|d| flatten(&fe, d)).collect()
}

/// Every diagnostic of one file.
pub fn check(src: &str) -> Vec<Found> {
    check_files(&[("test.rule", src)])
}

/// `CODE@LINE:COLUMN` for each diagnostic: compact assertions on what fired where.
pub fn codes(src: &str) -> Vec<String> {
    check(src)
        .iter()
        .map(|f| format!("{}@{}:{}", f.code, f.line, f.column))
        .collect()
}

/// The single diagnostic of a source (fails, showing them all, if there is not exactly one).
pub fn only(src: &str) -> Found {
    let found = check(src);
    assert_eq!(found.len(), 1, "expected one diagnostic, got {found:#?}");
    found.into_iter().next().expect("one diagnostic")
}

/// Asserts code, position, message and help of the single diagnostic of a source.
#[macro_export]
macro_rules! expect {
    ($src:expr, $code:literal @ $line:literal : $col:literal, $message:expr, $help:expr $(,)?) => {{
        let found = $crate::support::only(&$src);
        assert_eq!(
            (
                found.code.as_str(),
                found.line,
                found.column,
                found.message.as_str(),
                found.help.as_str()
            ),
            ($code, $line, $col, $message, $help),
            "{found:#?}"
        );
        found
    }};
}

/// A one-rule file: `when TRIGGER` then the body, which starts on line 3.
pub fn rule(trigger: &str, body: &str) -> String {
    format!("rule \"r\" {{\n  when {trigger}\n{body}}}\n")
}

/// Like [`rule`] with a schema block first: the schema body starts on line 2 and the
/// rule's body on line `schema lines + 5`.
pub fn with_schema(schema: &str, trigger: &str, body: &str) -> String {
    format!("schema {{\n{schema}}}\n{}", rule(trigger, body))
}

/// `CODE@LINE` for each diagnostic: for tests about which branch warns.
pub fn lines(src: &str) -> Vec<String> {
    check(src)
        .iter()
        .map(|f| format!("{}@{}", f.code, f.line))
        .collect()
}

/// One action on one line that renders `path` in its body, indented by `indent` spaces.
/// The merge tag starts at column `indent + 45`.
pub fn send(indent: usize, path: &str) -> String {
    format!(
        "{:indent$}post \"https://example.com/h\" {{ body {{ \"v\": \"{{{{{path}}}}}\" }} }}\n",
        ""
    )
}
