//! Decoding string literals, templates and merge tags.
//!
//! The grammar validates strings and only hands over whole tokens (one pair per string,
//! so the parse stays cheap); this module decodes them into AST values. The same code
//! diagnoses a string that pest rejected, so the error can point at the exact bad escape
//! or merge tag instead of the opening quote.

use crate::ast::{LitKind, Literal, MergeTag, Path, Template, TemplatePart};
use crate::diag::Code;
use crate::source::Span;

/// Why a string or merge tag is malformed, with the precise position.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StrError {
    pub code: Code,
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: String,
    /// A secondary position (the opening `{{` of a malformed merge tag).
    pub related: Option<(Span, &'static str)>,
}

/// Decodes the plain string starting with the `"` at `start`: (value, end offset).
pub(super) fn decode_plain(text: &str, start: usize) -> Result<(String, usize), StrError> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    // Fast path: no escapes, the value is the text between the quotes.
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return Ok((text[start + 1..i].to_owned(), i + 1)),
            b'\\' => break,
            b'\n' => return Err(unterminated(text, start, i)),
            b if b < 0x20 && b != b'\t' => return Err(control_char(i)),
            _ => i += 1,
        }
    }
    let mut value = String::with_capacity(i - start);
    value.push_str(&text[start + 1..i.min(text.len())]);
    let mut run = i;
    loop {
        match bytes.get(i) {
            None | Some(b'\n') => return Err(unterminated(text, start, i)),
            Some(b'"') => {
                value.push_str(&text[run..i]);
                return Ok((value, i + 1));
            }
            Some(b'\\') => {
                value.push_str(&text[run..i]);
                i = decode_escape(text, i, &mut value)?;
                run = i;
            }
            Some(&b) if b < 0x20 && b != b'\t' => return Err(control_char(i)),
            Some(_) => i += 1,
        }
    }
}

/// Decodes the template string starting with the `"` at `start` into text and merge-tag
/// parts: (template, end offset). The template's span includes the quotes.
pub(super) fn decode_template(text: &str, start: usize) -> Result<(Template, usize), StrError> {
    let bytes = text.as_bytes();
    // Most templates are one tag, or text around one tag.
    let mut parts = Vec::with_capacity(2);
    let mut buf = String::new();
    let mut i = start + 1;
    let mut run = i;
    loop {
        match bytes.get(i) {
            None | Some(b'\n') => return Err(unterminated(text, start, i)),
            Some(b'"') => {
                buf.push_str(&text[run..i]);
                if !buf.is_empty() {
                    parts.push(TemplatePart::Text(buf));
                }
                let span = Span::new(start, i + 1);
                return Ok((Template { span, parts }, i + 1));
            }
            Some(b'\\') => {
                buf.push_str(&text[run..i]);
                i = decode_escape(text, i, &mut buf)?;
                run = i;
            }
            Some(b'{') if bytes.get(i + 1) == Some(&b'{') => {
                buf.push_str(&text[run..i]);
                if !buf.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut buf)));
                }
                let (tag, end) = parse_tag(text, i)?;
                parts.push(TemplatePart::Tag(tag));
                i = end;
                run = i;
            }
            Some(&b) if b < 0x20 && b != b'\t' => return Err(control_char(i)),
            Some(_) => i += 1,
        }
    }
}

/// Parses the merge tag whose `{{` is at `start`: (tag, end offset after `}}`).
pub(super) fn parse_tag(text: &str, start: usize) -> Result<(MergeTag, usize), StrError> {
    let bytes = text.as_bytes();
    let mut i = skip_tag_space(bytes, start + 2);
    let path_start = i;
    let path_end = scan_path(bytes, i);
    if path_end == path_start {
        return Err(tag_error(
            text,
            start,
            i,
            "expected a path such as `case.id`",
            "a merge tag holds a path, e.g. `{{case.id}}` or `{{contact.email ?? ''}}`",
        ));
    }
    let path = Path {
        span: Span::new(path_start, path_end),
    };
    i = skip_tag_space(bytes, path_end);
    let mut fallback = None;
    if bytes.get(i..i + 2) == Some(b"??") {
        i = skip_tag_space(bytes, i + 2);
        let (lit, end) = parse_fallback(text, start, i)?;
        fallback = Some(lit);
        i = skip_tag_space(bytes, end);
    }
    if bytes.get(i..i + 2) == Some(b"}}") {
        let tag = MergeTag {
            span: Span::new(start, i + 2),
            path,
            fallback,
        };
        return Ok((tag, i + 2));
    }
    let (message, help) = if fallback.is_none() {
        (
            "expected `}}` or `??` after the path",
            "close the merge tag with `}}`; a fallback is written `{{path ?? 'text'}}`",
        )
    } else {
        (
            "expected `}}` after the fallback",
            "close the merge tag with `}}`",
        )
    };
    Err(tag_error(text, start, i, message, help))
}

/// The end of a dotted path (at least two segments) starting at `i`, or `i` if none.
fn scan_path(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut segments = 0;
    loop {
        match bytes.get(i) {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
            _ => break,
        }
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            i += 1;
        }
        segments += 1;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
        } else {
            break;
        }
    }
    // `case.` (a trailing dot) or a single segment is not a path.
    if segments < 2 || bytes.get(i.saturating_sub(1)) == Some(&b'.') {
        start
    } else {
        i
    }
}

fn skip_tag_space(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// A fallback literal: `'text'`, a number, `true` or `false`.
fn parse_fallback(text: &str, tag_start: usize, i: usize) -> Result<(Literal, usize), StrError> {
    let bytes = text.as_bytes();
    let word_end = |from: usize| {
        let mut j = from;
        while bytes
            .get(j)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+'))
        {
            j += 1;
        }
        j
    };
    match bytes.get(i) {
        Some(b'\'') => parse_single_quoted(text, tag_start, i),
        Some(b) if b.is_ascii_digit() || *b == b'-' => {
            let end = word_end(i);
            match text[i..end].parse::<f64>() {
                Ok(n) if n.is_finite() && is_json_number(&text[i..end]) => {
                    let kind = LitKind::Num(n);
                    Ok((lit(i, end, kind), end))
                }
                _ => Err(tag_error(
                    text,
                    tag_start,
                    i,
                    "invalid number in merge tag fallback",
                    "write the fallback as a JSON number such as `0` or `12.5`",
                )),
            }
        }
        _ => {
            let end = word_end(i);
            match &text[i..end] {
                "true" => Ok((lit(i, end, LitKind::Bool(true)), end)),
                "false" => Ok((lit(i, end, LitKind::Bool(false)), end)),
                _ => Err(tag_error(
                    text,
                    tag_start,
                    i,
                    "expected a fallback after `??`",
                    "a fallback is a single-quoted string, a number, `true` or `false`, \
                     e.g. `{{contact.email ?? 'unknown'}}`",
                )),
            }
        }
    }
}

fn lit(start: usize, end: usize, kind: LitKind) -> Literal {
    Literal {
        span: Span::new(start, end),
        kind,
    }
}

/// `'...'` inside a merge tag: JSON escapes plus `\'`.
fn parse_single_quoted(
    text: &str,
    tag_start: usize,
    start: usize,
) -> Result<(Literal, usize), StrError> {
    let bytes = text.as_bytes();
    let mut value = String::new();
    let mut i = start + 1;
    let mut run = i;
    loop {
        match bytes.get(i) {
            Some(b'\'') => {
                value.push_str(&text[run..i]);
                return Ok((lit(start, i + 1, LitKind::Str(value)), i + 1));
            }
            Some(b'\\') if bytes.get(i + 1) == Some(&b'\'') => {
                value.push_str(&text[run..i]);
                value.push('\'');
                i += 2;
                run = i;
            }
            Some(b'\\') => {
                value.push_str(&text[run..i]);
                i = decode_escape(text, i, &mut value)?;
                run = i;
            }
            None | Some(b'"' | b'\n') => {
                return Err(tag_error(
                    text,
                    tag_start,
                    start,
                    "unterminated fallback string in merge tag",
                    "close the fallback with `'`, e.g. `{{contact.email ?? 'unknown'}}`",
                ))
            }
            Some(&b) if b < 0x20 && b != b'\t' => return Err(control_char(i)),
            Some(_) => i += 1,
        }
    }
}

/// Whether `s` has JSON number syntax (no leading `+`, no leading zeros, digits around `.`).
pub(super) fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Decodes the escape whose `\` is at `i` into `out`; returns the offset after it.
fn decode_escape(text: &str, i: usize, out: &mut String) -> Result<usize, StrError> {
    let bytes = text.as_bytes();
    let simple = match bytes.get(i + 1) {
        Some(b'"') => Some('"'),
        Some(b'\\') => Some('\\'),
        Some(b'/') => Some('/'),
        Some(b'b') => Some('\u{8}'),
        Some(b'f') => Some('\u{c}'),
        Some(b'n') => Some('\n'),
        Some(b'r') => Some('\r'),
        Some(b't') => Some('\t'),
        _ => None,
    };
    if let Some(c) = simple {
        out.push(c);
        return Ok(i + 2);
    }
    if bytes.get(i + 1) != Some(&b'u') {
        return Err(bad_escape(text, i));
    }
    let high = hex4(text, i + 2).ok_or_else(|| bad_unicode(text, i))?;
    if let Some(c) = char::from_u32(high) {
        out.push(c);
        return Ok(i + 6);
    }
    // A surrogate: only a high one followed by `\u` + a low one makes a character.
    if (0xD800..0xDC00).contains(&high) && bytes.get(i + 6..i + 8) == Some(b"\\u") {
        if let Some(low) = hex4(text, i + 8).filter(|l| (0xDC00..0xE000).contains(l)) {
            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            if let Some(c) = char::from_u32(code) {
                out.push(c);
                return Ok(i + 12);
            }
        }
    }
    Err(bad_unicode(text, i))
}

fn hex4(text: &str, i: usize) -> Option<u32> {
    let digits = text.get(i..i + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// The span of the character starting at `i` (at least one byte, within the text).
fn char_span(text: &str, i: usize) -> Span {
    let len = text
        .get(i..)
        .and_then(|s| s.chars().next())
        .map_or(0, char::len_utf8);
    Span::new(i, i + len)
}

fn bad_escape(text: &str, i: usize) -> StrError {
    let next = char_span(text, i + 1);
    let span = Span::new(i, next.end as usize);
    StrError {
        code: Code::BadString,
        span,
        message: format!("invalid escape `{}` in string", &text[span.range()]),
        label: "not a JSON escape".to_owned(),
        help: "valid escapes are `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and \
               `\\uXXXX`; write `\\\\` for a backslash"
            .to_owned(),
        related: None,
    }
}

fn bad_unicode(text: &str, i: usize) -> StrError {
    let mut end = i + 2;
    while end < i + 6 && text.as_bytes().get(end).is_some_and(u8::is_ascii_hexdigit) {
        end += 1;
    }
    let span = Span::new(i, end);
    StrError {
        code: Code::BadString,
        span,
        message: format!("invalid unicode escape `{}` in string", &text[span.range()]),
        label: "not a valid `\\uXXXX` escape".to_owned(),
        help: "write four hex digits (`\\u00e9`); a character beyond U+FFFF is a surrogate \
               pair such as `\\ud83d\\ude00`"
            .to_owned(),
        related: None,
    }
}

pub(super) fn unterminated(text: &str, start: usize, end: usize) -> StrError {
    let end = end.min(text.len());
    StrError {
        code: Code::BadString,
        span: Span::new(start, end),
        message: "unterminated string".to_owned(),
        label: "this string is not closed on its line".to_owned(),
        help: "close the string with `\"`; a string cannot span lines (write `\\n` for a \
               line break)"
            .to_owned(),
        related: None,
    }
}

fn control_char(i: usize) -> StrError {
    StrError {
        code: Code::BadString,
        span: Span::new(i, i + 1),
        message: "control character in string".to_owned(),
        label: "raw control character".to_owned(),
        help: "write it as an escape such as `\\n`, `\\r` or `\\u0000`".to_owned(),
        related: None,
    }
}

fn tag_error(text: &str, tag_start: usize, at: usize, message: &str, help: &str) -> StrError {
    let found = describe_found(text, at);
    StrError {
        code: Code::BadMergeTag,
        span: char_span(text, at),
        message: format!("malformed merge tag: {message}, found {found}"),
        label: message.to_owned(),
        help: help.to_owned(),
        related: Some((Span::new(tag_start, tag_start + 2), "merge tag starts here")),
    }
}

/// How the token at `at` is named in messages: `` `word` ``, `` `}` ``, or `end of line`.
pub(super) fn describe_found(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let word: &str = {
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    };
    if !word.is_empty() {
        return format!("`{}`", truncate(word, 24));
    }
    match rest.chars().next() {
        None => "end of file".to_owned(),
        Some('\n') | Some('\r') => "end of line".to_owned(),
        Some('"') => {
            let body = rest[1..].split(['"', '\n']).next().unwrap_or("");
            format!("`\"{}\"`", truncate(body, 24))
        }
        Some(c) => format!("`{c}`"),
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_surrogates() {
        let text = r#""a\n\"\u00e9\ud83d\ude00""#;
        let (value, end) = decode_plain(text, 0).unwrap();
        assert_eq!(value, "a\n\"é😀");
        assert_eq!(end, text.len());
    }

    #[test]
    fn splits_templates_with_exact_tag_spans() {
        let text = r#""Bearer {{ secrets.T ?? 'x}}' }}!""#;
        let (tpl, _) = decode_template(text, 0).unwrap();
        assert_eq!(tpl.parts.len(), 3);
        let TemplatePart::Tag(tag) = &tpl.parts[1] else {
            panic!("expected a tag")
        };
        assert_eq!(&text[tag.path.span.range()], "secrets.T");
        assert_eq!(&text[tag.span.range()], "{{ secrets.T ?? 'x}}' }}");
    }

    #[test]
    fn points_at_bad_escape_and_bad_tag() {
        let err = decode_plain(r#""ab\qc""#, 0).unwrap_err();
        assert_eq!((err.code, err.span), (Code::BadString, Span::new(3, 5)));
        let err = decode_template(r#""x {{case.id }""#, 0).unwrap_err();
        assert_eq!((err.code, err.span.start), (Code::BadMergeTag, 13));
    }

    #[test]
    fn json_numbers() {
        for ok in ["0", "-1", "12.5", "1e3", "-0.5E-2"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["01", "1.", ".5", "+1", "1e", "--1", ""] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
