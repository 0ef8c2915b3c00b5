//! Bounding nesting depth before pest runs.
//!
//! pest (built without its stack guard) and the AST builder recurse once per nested
//! `{`, `[` or `(`, so deeply nested input could overflow the stack. A quick byte scan
//! (aware of strings and comments) finds brackets nested deeper than [`MAX_NESTING`];
//! the item holding them is reported (E0005) and blanked out so the rest of the file
//! still parses.

use std::borrow::Cow;

use crate::diag::{Code, Diagnostic};
use crate::source::{SourceId, Span};

/// Deepest nesting of `{`, `[` and `(` accepted, all kinds together. A realistic rule
/// (rule, a few `if` blocks, an action, a body with nested objects) stays under 20.
pub const MAX_NESTING: usize = 64;

/// Returns the text to parse: `text` itself, or a copy with every too-deep item blanked
/// (spaces, newlines kept, so offsets, lines and columns do not move).
pub(super) fn bound<'a>(
    text: &'a str,
    file: SourceId,
    diags: &mut Vec<Diagnostic>,
) -> Cow<'a, str> {
    let mut from = 0;
    let mut blanked: Option<Vec<u8>> = None;
    while let Some(at) = find_too_deep(text.as_bytes(), from) {
        let (start, end) = item_bounds(text.as_bytes(), at);
        diags.push(too_deep(file, at));
        let bytes = blanked.get_or_insert_with(|| text.as_bytes().to_vec());
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        if end <= from {
            break;
        }
        from = end;
    }
    match blanked {
        // Only ASCII bytes were written over whole items, so the text stays UTF-8.
        Some(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        None => Cow::Borrowed(text),
    }
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

/// The offset of the first bracket at depth > [`MAX_NESTING`] at or after `from`.
fn find_too_deep(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'#' => i = skip_line(bytes, i),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset of the closing quote (or the end of the line) of the string at `i`.
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' | b'\n' => return i,
            _ => {}
        }
        i += 1;
    }
    i
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// The item around `at`: from the start of the last line at or before `at` that begins
/// an item (`rule` or `schema`) to the start of the next one after it.
fn item_bounds(bytes: &[u8], at: usize) -> (usize, usize) {
    let mut start = 0;
    let mut end = bytes.len();
    let mut line = 0;
    while line < bytes.len() {
        if starts_item(bytes, line) {
            if line <= at {
                start = line;
            } else {
                end = line;
                break;
            }
        }
        line = match bytes[line..].iter().position(|&b| b == b'\n') {
            Some(n) => line + n + 1,
            None => bytes.len(),
        };
    }
    (start, end)
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
        let out = bound(&text, SourceId(0), &mut diags);
        assert_eq!(diags.len(), 1);
        assert_eq!(out.len(), text.len());
        assert!(out.trim_start().starts_with("rule \"b\""));
    }

    #[test]
    fn ignores_brackets_in_strings_and_comments() {
        let text = format!("# {}\n\"{}\"", "{".repeat(100), "[".repeat(100));
        let mut diags = Vec::new();
        assert!(matches!(
            bound(&text, SourceId(0), &mut diags),
            Cow::Borrowed(_)
        ));
        assert!(diags.is_empty());
    }
}
