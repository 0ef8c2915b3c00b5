//! A quick byte scan before pest runs, for two problems pest would report badly.
//!
//! - Nesting depth: pest and the AST builder recurse once per nested `{`, `[` or `(`, so
//!   deeply nested input could exhaust the stack. Brackets nested deeper than
//!   [`MAX_NESTING`] get E0005.
//! - Unterminated strings: the grammar lets a string run to the next `"` (so pest can
//!   find its end with `memchr`); a string still open at the end of its line gets E0002
//!   at its opening quote, instead of a confusing error wherever pest gives up.
//!
//! The item holding the problem is blanked out (spaces, newlines kept) so the rest of
//! the file still parses and offsets, lines and columns do not move.

use std::borrow::Cow;

use crate::diag::{Code, Diagnostic};
use crate::source::{SourceId, Span};

/// Deepest nesting of `{`, `[` and `(` accepted, all kinds together. A realistic rule
/// (rule, a few `if` blocks, an action, a body with nested objects) stays under 20.
pub const MAX_NESTING: usize = 64;

/// A problem found by the scan.
enum Problem {
    /// The bracket at this offset is nested too deeply.
    TooDeep(usize),
    /// The string opening at `.0` is still open at `.1` (a newline or the end).
    Unterminated(usize, usize),
}

/// What the scan hands to the parser.
pub(super) struct Scanned<'a> {
    /// `text` itself, or a copy with every problem item blanked.
    pub text: Cow<'a, str>,
    /// Starts of lines that begin an item (`rule`/`schema`) outside any bracket: places
    /// where the text can be cut into independently parsed chunks.
    pub item_starts: Vec<usize>,
}

/// Scans `text` for problems (reported in `diags`) and item starts.
pub(super) fn scan<'a>(text: &'a str, file: SourceId, diags: &mut Vec<Diagnostic>) -> Scanned<'a> {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut blanked: Option<Vec<u8>> = None;
    let mut item_starts = Vec::new();
    while let Some((problem, region_start)) = find_problem(bytes, from, &mut item_starts) {
        let at = match problem {
            Problem::TooDeep(at) => {
                diags.push(too_deep(file, at));
                at
            }
            Problem::Unterminated(start, end) => {
                diags.push(unterminated(text, file, start, end));
                start
            }
        };
        let end = next_item_line(bytes, at);
        let out = blanked.get_or_insert_with(|| bytes.to_vec());
        for b in &mut out[region_start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        from = end;
    }
    let text = match blanked {
        // Only ASCII bytes were written over whole lines, so the text stays UTF-8.
        Some(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        None => Cow::Borrowed(text),
    };
    Scanned { text, item_starts }
}

fn too_deep(file: SourceId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        format!("nesting is too deep (more than {MAX_NESTING} levels of brackets)"),
        file,
        Span::new(at, at + 1),
    )
    .with_label_message("this bracket is too deeply nested")
    .with_help(
        "flatten the rule: split nested `if` blocks into separate rules or simplify the body",
    )
}

fn unterminated(text: &str, file: SourceId, start: usize, end: usize) -> Diagnostic {
    let e = super::strings::unterminated(text, start, end);
    Diagnostic::new(e.code, e.message, file, e.span)
        .with_label_message(e.label)
        .with_help(e.help)
}

/// The first problem at or after `from`, and where the region to blank for it starts:
/// the line of the enclosing top-level item, or just after the last top-level bracket
/// closed before it (so a stray string after a good item does not take the item along).
fn find_problem(
    bytes: &[u8],
    from: usize,
    item_starts: &mut Vec<usize>,
) -> Option<(Problem, usize)> {
    let mut depth = 0usize;
    let mut region = from;
    let mut i = from;
    if starts_item(bytes, from) {
        item_starts.push(from);
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\n' if depth == 0 && starts_item(bytes, i + 1) => {
                region = i + 1;
                item_starts.push(region);
            }
            b'"' => {
                let end = skip_quoted(bytes, i, b'"');
                if bytes.get(end) != Some(&b'"') {
                    return Some((Problem::Unterminated(i, end), region));
                }
                i = end;
            }
            // A single-quoted fallback of a bare merge tag (it may hold `\"`).
            b'\'' => {
                let end = skip_quoted(bytes, i, b'\'');
                // Step onto the closing quote, or just before the newline so it is seen.
                i = if bytes.get(end) == Some(&b'\'') {
                    end
                } else {
                    end - 1
                };
            }
            // Just before the newline, so it is seen.
            b'#' => i = skip_line(bytes, i) - 1,
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((Problem::TooDeep(i), region));
                }
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    region = i + 1;
                }
            }
            _ => {}
        }
        i += 1;
        // Most bytes matter to none of the cases above: skip them in a tight loop.
        while i < bytes.len() && !SPECIAL[bytes[i] as usize] {
            i += 1;
        }
    }
    None
}

/// The bytes `find_problem` acts on.
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut k = 0;
    let special = b"\n\"'#{[(}])";
    while k < special.len() {
        table[special[k] as usize] = true;
        k += 1;
    }
    table
};

/// The offset of the closing `quote` (or of the newline or end) of the string at `i`.
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) != Some(&b'\n') => i += 1,
            b'\n' => return i,
            b if b == quote => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// The start of the first line after `at` that begins an item, or the end of the text.
fn next_item_line(bytes: &[u8], at: usize) -> usize {
    let mut i = at;
    while let Some(n) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
    {
        i += n + 1;
        if starts_item(bytes, i) {
            return i;
        }
    }
    bytes.len()
}

/// Whether the line at `line` starts (after indentation) with `rule` or `schema`.
fn starts_item(bytes: &[u8], line: usize) -> bool {
    let mut i = line;
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r')) {
        i += 1;
    }
    let rest = &bytes[i.min(bytes.len())..];
    [&b"rule"[..], &b"schema"[..]].iter().any(|kw| {
        rest.starts_with(kw)
            && !rest
                .get(kw.len())
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_only_the_too_deep_item() {
        let deep = "(".repeat(MAX_NESTING + 1);
        let text = format!("rule \"a\" {{ {deep}\n}}\nrule \"b\" {{ }}\n");
        let mut diags = Vec::new();
        let out = scan(&text, SourceId(0), &mut diags).text;
        assert_eq!(diags.len(), 1);
        assert_eq!(out.len(), text.len());
        assert!(out.trim_start().starts_with("rule \"b\""));
    }

    #[test]
    fn ignores_brackets_in_strings_and_comments() {
        let text = format!(
            "# {}\n\"{}\" '\\'\"' '(' x",
            "{".repeat(100),
            "[".repeat(100)
        );
        let mut diags = Vec::new();
        assert!(matches!(
            scan(&text, SourceId(0), &mut diags).text,
            Cow::Borrowed(_)
        ));
        assert!(diags.is_empty());
    }
}

#[cfg(test)]
mod string_tests {
    use super::*;

    #[test]
    fn reports_a_string_open_at_the_end_of_its_line() {
        let text = "rule \"a\" {\n  post \"https://x {\n}\nrule \"b\" { }\n";
        let mut diags = Vec::new();
        let out = scan(text, SourceId(0), &mut diags).text;
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, crate::diag::Code::BadString);
        assert_eq!(diags[0].labels[0].span, Span::new(18, 30));
        assert!(out.trim_start().starts_with("rule \"b\""));
    }
}

#[cfg(test)]
mod item_start_tests {
    use super::*;

    #[test]
    fn finds_item_lines_outside_brackets_only() {
        let text = "schema { }\nrule \"a\" {\nrule inside\n}\n  rule \"b\" { }\n# rule\n";
        let mut diags = Vec::new();
        let starts = scan(text, SourceId(0), &mut diags).item_starts;
        let lines: Vec<&str> = starts
            .iter()
            .map(|&s| text[s..].lines().next().unwrap_or(""))
            .collect();
        assert_eq!(lines, ["schema { }", "rule \"a\" {", "  rule \"b\" { }"]);
    }
}
