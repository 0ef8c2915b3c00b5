//! Rendering an action's templates into a [`Request`]: escaping by construction.
//!
//! Body templates were flattened at compile time into literal JSON text and tag
//! segments; a tag inside a string is JSON-escaped as it is written, a bare tag writes a
//! typed JSON value. So a body is valid JSON whatever the event holds. URL tags are
//! percent-encoded; header values are checked for CR and LF.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::decode::Event;
use super::effect::{self, Request, RetryPolicy, SignKind, SignSpec};
use super::value::{write_json_string, write_number, Value};
use crate::ast::Method;
use crate::plan::{ActionPlan, Const, Plan, RetryPlan, Segment, SignPlan, TemplateContext};
use crate::secrets::Secrets;

/// Every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) is encoded.
const URL_TAG: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Renders one action for one event. `rule` is the rule's name.
pub fn request(
    plan: &Plan,
    action: &ActionPlan,
    rule: &str,
    event: &Event,
    secrets: &Secrets,
) -> Request {
    let idempotency_key = effect::idempotency_key(rule, event.id(), action.position);
    let mut request = Request {
        position: action.position,
        method: method(&action.method),
        url: String::new(),
        headers: Vec::new(),
        body: None,
        sign: action.sign.as_ref().map(sign_spec),
        timeout_secs: action.timeout_secs,
        retry: match action.retry {
            RetryPlan::Default => RetryPolicy::Default,
            RetryPlan::Times(n) => RetryPolicy::Times(n),
            RetryPlan::Never => RetryPolicy::Never,
        },
        idempotency_key,
        error: None,
    };
    let mut renderer = Renderer {
        plan,
        event,
        secrets,
        scratch: String::new(),
    };
    let mut url = String::new();
    if let Err(e) = renderer.render(action.url, &mut url) {
        return failed(request, e, plan, action);
    }
    request.url = url;
    let mut headers = Vec::with_capacity(action.headers.len() + 2);
    for (name, template) in &action.headers {
        let mut value = String::new();
        if let Err(e) = renderer.render(*template, &mut value) {
            return failed(request, e, plan, action);
        }
        if value.contains(['\r', '\n']) {
            let e = format!("header `{name}` holds a line break once rendered");
            return failed(request, e, plan, action);
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            let e = format!("header `{name}` holds a control character once rendered");
            return failed(request, e, plan, action);
        }
        headers.push((name.clone(), value));
    }
    if let Some(body_template) = action.body {
        let mut body = String::with_capacity(256);
        if let Err(e) = renderer.render(body_template, &mut body) {
            return failed(request, e, plan, action);
        }
        if !has_header(&headers, "content-type") {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        request.body = Some(body);
    }
    if !has_header(&headers, "idempotency-key") {
        headers.push(("Idempotency-Key".into(), request.idempotency_key.clone()));
    }
    request.headers = headers;
    request
}

fn failed(mut request: Request, error: String, plan: &Plan, action: &ActionPlan) -> Request {
    request.error = Some(format!("{error} ({})", plan.describe_loc(action.loc)));
    request
}

fn has_header(headers: &[(String, String)], lower: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(lower))
}

fn method(name: &str) -> Method {
    match name {
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        _ => Method::Post,
    }
}

fn sign_spec(sign: &SignPlan) -> SignSpec {
    match sign {
        SignPlan::HmacSha256 { secret, header } => SignSpec {
            scheme: SignKind::HmacSha256 {
                header: header.clone(),
            },
            secret: secret.clone(),
        },
        SignPlan::StandardWebhooks { secret } => SignSpec {
            scheme: SignKind::StandardWebhooks,
            secret: secret.clone(),
        },
    }
}

/// Renders templates of one plan for one event.
pub struct Renderer<'a> {
    pub plan: &'a Plan,
    pub event: &'a Event,
    pub secrets: &'a Secrets,
    /// Reused for values that need escaping after being written (lists in strings).
    pub scratch: String,
}

impl Renderer<'_> {
    /// Appends template `index` to `out`; an error names what is missing.
    pub fn render(&mut self, index: u32, out: &mut String) -> Result<(), String> {
        let plan = self.plan;
        let Some(template) = plan.templates.get(index as usize) else {
            return Err(format!("template {index} is missing from the plan"));
        };
        for segment in &template.segments {
            match segment {
                Segment::Lit(text) => out.push_str(text),
                Segment::Text { slot, fallback } => match self.event.value(*slot) {
                    // The common case first: present text needs no fallback.
                    Value::Text(s) if !s.is_empty() => self.raw_text(template.context, s, out),
                    // RFC 3339 text holds nothing to escape in a body or a header.
                    Value::Time(t) if template.context != TemplateContext::Url => {
                        out.push_str(&t.text)
                    }
                    value => {
                        let fallback = fallback_for(plan, value, *fallback);
                        self.text(template.context, value, fallback, out);
                    }
                },
                Segment::Json { slot, fallback } => {
                    let value = self.event.value(*slot);
                    match fallback_for(plan, value, *fallback) {
                        Some(c) => write_const_json(c, out),
                        None => value.write_json(out),
                    }
                }
                Segment::Secret(name) => {
                    let Some(secret) = self.secrets.get(name) else {
                        return Err(format!("secret `{name}` is not set"));
                    };
                    self.raw_text(template.context, secret, out);
                }
            }
        }
        Ok(())
    }

    fn text(&mut self, ctx: TemplateContext, value: &Value, fb: Option<&Const>, out: &mut String) {
        match (value, fb) {
            (_, Some(Const::Str(s))) => self.raw_text(ctx, s, out),
            (_, Some(c)) => {
                self.scratch.clear();
                write_const_json(c, &mut self.scratch);
                let text = std::mem::take(&mut self.scratch);
                self.raw_text(ctx, &text, out);
                self.scratch = text;
            }
            (Value::Text(s), None) => self.raw_text(ctx, s, out),
            (Value::Time(t), None) => self.raw_text(ctx, &t.text, out),
            (Value::Missing, None) => {}
            (other, None) => {
                self.scratch.clear();
                other.write_text(&mut self.scratch);
                let text = std::mem::take(&mut self.scratch);
                self.raw_text(ctx, &text, out);
                self.scratch = text;
            }
        }
    }

    /// Text into its context: JSON-escaped in a body, percent-encoded in a URL.
    fn raw_text(&self, ctx: TemplateContext, text: &str, out: &mut String) {
        match ctx {
            TemplateContext::Body => escape_json_into(out, text),
            TemplateContext::Url => {
                for chunk in utf8_percent_encode(text, URL_TAG) {
                    out.push_str(chunk);
                }
            }
            TemplateContext::Header => out.push_str(text),
        }
    }
}

/// The fallback constant to use instead of an empty value.
fn fallback_for<'p>(plan: &'p Plan, value: &Value, fallback: Option<u32>) -> Option<&'p Const> {
    match fallback {
        Some(k) if value.is_empty() => plan.consts.get(k as usize),
        _ => None,
    }
}

/// A constant as a typed JSON value.
fn write_const_json(c: &Const, out: &mut String) {
    match c {
        Const::Str(s) => write_json_string(out, s),
        Const::Num(n) => write_number(out, *n),
        Const::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Const::Time(nanos) => {
            let t = chrono::DateTime::from_timestamp_nanos(*nanos);
            let text = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            write_json_string(out, &text)
        }
        Const::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_const_json(item, out);
            }
            out.push(']');
        }
    }
}

/// Appends `s` JSON-escaped (without quotes): `"`, `\` and control characters.
pub fn escape_json_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    // Most values need no escaping: check 8 bytes at a time, then copy once.
    if !needs_escape(bytes) {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Only ASCII bytes are escaped, so `i` is a char boundary.
        out.push_str(&s[start..i]);
        if escaped.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        } else {
            out.push_str(escaped);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Whether any byte is `"`, `\\` or a control character (below 0x20), eight bytes at a
/// time (the classic "has zero byte" / "has byte less than" bit tricks).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
        if control
            || has_zero(w ^ (ONES * u64::from(b'"')))
            || has_zero(w ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        let mut out = String::new();
        escape_json_into(&mut out, "a\"b\\c\nd\u{1}e\u{2028}é");
        assert_eq!(out, "a\\\"b\\\\c\\nd\\u0001e\u{2028}é");
        let back: String = serde_json::from_str(&format!("\"{out}\"")).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}e\u{2028}é");
    }

    #[test]
    fn the_word_scan_finds_every_byte_that_needs_escaping() {
        for len in 0..20 {
            for at in 0..len {
                for special in [b'"', b'\\', 0u8, 0x1f, b'\n'] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(needs_escape(&bytes), "{len} {at} {special}");
                }
            }
            assert!(!needs_escape(&vec![b'a'; len]));
        }
        // High bytes (UTF-8) and space, DEL, `/` need none.
        assert!(!needs_escape("é😀\u{2028} /\u{7f}xxxxxxxx".as_bytes()));
    }

    #[test]
    fn url_tags_encode_everything_but_unreserved() {
        let encoded: String = utf8_percent_encode("a/b c~d-e_f.g?é", URL_TAG).collect();
        assert_eq!(encoded, "a%2Fb%20c~d-e_f.g%3F%C3%A9");
    }
}
