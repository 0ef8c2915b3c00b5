//! The one place diagnostics become text: ariadne reports for people, JSON lines for tools.

use std::io::IsTerminal;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};

use crate::diag::{Diagnostic, Severity};
use crate::source::SourceMap;

/// Whether to colour output on this stream: a terminal, and `NO_COLOR` unset.
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Colour for stderr, where human diagnostics go.
pub fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

/// Renders diagnostics as ariadne reports.
pub fn human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = Vec::new();
    for diagnostic in diagnostics {
        render_one(sources, diagnostic, color, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(sources: &SourceMap, diagnostic: &Diagnostic, color: bool, out: &mut Vec<u8>) {
    let kind = match diagnostic.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let path = |label: &crate::diag::Label| sources.get(label.file).path.clone();
    let Some(primary) = diagnostic.primary() else {
        out.extend_from_slice(
            format!(
                "{}[{}]: {}\n",
                diagnostic.severity.as_str(),
                diagnostic.code.as_str(),
                diagnostic.message
            )
            .as_bytes(),
        );
        return;
    };
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    let mut report = Report::build(kind, (path(primary), primary.span.range()))
        .with_config(config)
        .with_code(diagnostic.code.as_str())
        .with_message(&diagnostic.message);
    for (i, label) in diagnostic.labels.iter().enumerate() {
        let mut l = Label::new((path(label), clamp(sources, label)));
        if !label.message.is_empty() {
            l = l.with_message(&label.message);
        }
        if color {
            l = l.with_color(if i == 0 { Color::Red } else { Color::Blue });
        }
        report = report.with_label(l);
    }
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help);
    }
    let cache = ariadne::sources(
        sources
            .files()
            .iter()
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect::<Vec<_>>(),
    );
    if report.finish().write(cache, &mut *out).is_err() {
        out.extend_from_slice(diagnostic.message.as_bytes());
        out.push(b'\n');
    }
}

/// A label's range, kept inside its file's text.
fn clamp(sources: &SourceMap, label: &crate::diag::Label) -> std::ops::Range<usize> {
    let len = sources.get(label.file).text.len();
    let start = (label.span.start as usize).min(len);
    let end = (label.span.end as usize).clamp(start, len);
    start..end
}

/// One JSON object (one line) per diagnostic, as spec §9 says: `severity`, `code`,
/// `message`, `file`, `line`, `column` (1-based, characters), `help`.
pub fn json_line(sources: &SourceMap, diagnostic: &Diagnostic) -> String {
    let (file, line, column) = match diagnostic.primary() {
        Some(label) => {
            let f = sources.get(label.file);
            let (line, column) = f.line_col(label.span.start);
            (f.path.clone(), line, column)
        }
        None => (String::new(), 0, 0),
    };
    serde_json::json!({
        "severity": diagnostic.severity.as_str(),
        "code": diagnostic.code.as_str(),
        "message": diagnostic.message,
        "file": file,
        "line": line,
        "column": column,
        "help": diagnostic.help,
    })
    .to_string()
}

/// `2 errors, 1 warning`.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
