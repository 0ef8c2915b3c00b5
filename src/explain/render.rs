//! Rendering an action straight from the AST (independent of the plan's flattened
//! templates): strings go through `serde_json`, the body is written recursively.

use super::interp::Interp;
use crate::ast::{self, JsonKind, LitKind, MergeTag, TemplatePart};
use crate::schema::SECRETS;
use crate::vm::effect::{self, Request, RetryPolicy, SignKind, SignSpec};
use crate::vm::Value;

/// The request an action would send.
pub fn request(it: &Interp, action: &ast::Action, position: u32) -> Request {
    let key = effect::idempotency_key(&it.rule_name, it.event.id(), position);
    let loc = format!("{}:{}", it.source.path, it.line(action.span));
    let mut request = Request {
        position,
        method: action.method,
        url: String::new(),
        headers: Vec::new(),
        body: None,
        sign: action.sign.as_ref().map(|s| sign(it, s)),
        timeout_secs: action.timeout.map(|d| d.seconds()).unwrap_or(10),
        retry: match action.retry.map(|r| r.kind) {
            None => RetryPolicy::Default,
            Some(ast::RetryKind::Times(n)) => RetryPolicy::Times(n),
            Some(ast::RetryKind::Never) => RetryPolicy::Never,
        },
        idempotency_key: key.clone(),
        error: None,
    };
    match template(it, &action.url, Context::Url) {
        Ok(url) => request.url = url,
        Err(e) => {
            request.error = Some(format!("{e} ({loc})"));
            return request;
        }
    }
    let mut headers = Vec::new();
    for header in &action.headers {
        let value = match template(it, &header.value, Context::Header) {
            Ok(v) => v,
            Err(e) => {
                request.error = Some(format!("{e} ({loc})"));
                return request;
            }
        };
        if value.contains('\r') || value.contains('\n') {
            request.error = Some(format!(
                "header `{}` holds a line break once rendered ({loc})",
                header.name.value
            ));
            return request;
        }
        headers.push((header.name.value.clone(), value));
    }
    let set = |headers: &Vec<(String, String)>, name: &str| {
        headers.iter().any(|(n, _)| n.to_ascii_lowercase() == name)
    };
    if let Some(json) = &action.body {
        let mut body = String::new();
        if let Err(e) = write_json(it, json, &mut body) {
            request.error = Some(format!("{e} ({loc})"));
            return request;
        }
        request.body = Some(body);
        if !set(&headers, "content-type") {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
    }
    if !set(&headers, "idempotency-key") {
        headers.push(("Idempotency-Key".into(), key));
    }
    request.headers = headers;
    request
}

fn sign(it: &Interp, s: &ast::Sign) -> SignSpec {
    let path = it.source.slice(s.secret.span);
    let secret = path.strip_prefix(SECRETS).unwrap_or(path).to_string();
    let scheme = match &s.scheme {
        ast::SignScheme::HmacSha256 { header } => SignKind::HmacSha256 {
            header: header
                .as_ref()
                .map(|h| h.value.clone())
                .unwrap_or_else(|| "X-Atender-Signature".into()),
        },
        ast::SignScheme::StandardWebhooks => SignKind::StandardWebhooks,
    };
    SignSpec { scheme, secret }
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Url,
    Header,
    /// Inside a JSON string of the body (escaped afterwards by serde_json).
    BodyString,
}

/// A template's text (not yet JSON-escaped for the body).
fn template(it: &Interp, t: &ast::Template, ctx: Context) -> Result<String, String> {
    let mut out = String::new();
    for part in &t.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Tag(tag) => {
                let text = tag_text(it, tag)?;
                if ctx == Context::Url {
                    out.push_str(&percent_encode(&text));
                } else {
                    out.push_str(&text);
                }
            }
        }
    }
    Ok(out)
}

/// A merge tag as text: the value's JSON text without quotes, or its fallback.
fn tag_text(it: &Interp, tag: &MergeTag) -> Result<String, String> {
    let path = it.source.slice(tag.path.span);
    if let Some(name) = path.strip_prefix(SECRETS) {
        return it
            .secrets
            .get(name)
            .map(str::to_string)
            .ok_or_else(|| format!("secret `{name}` is not set"));
    }
    let value = it.read(path);
    if value.is_empty() {
        if let Some(lit) = &tag.fallback {
            return Ok(match &lit.kind {
                LitKind::Str(s) => s.clone(),
                LitKind::Num(n) => format!("{n}"),
                LitKind::Bool(b) => b.to_string(),
            });
        }
    }
    Ok(match value {
        Value::Missing => String::new(),
        Value::Text(s) => s,
        Value::Time(t) => t.text,
        Value::Number(n) => format!("{n}"),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => serde_json::to_string(&items).unwrap_or_default(),
    })
}

/// A bare merge tag as typed JSON.
fn tag_json(it: &Interp, tag: &MergeTag) -> Result<String, String> {
    let path = it.source.slice(tag.path.span);
    if path.starts_with(SECRETS) {
        return Ok(quote(&tag_text(it, tag)?));
    }
    let value = it.read(path);
    if value.is_empty() {
        if let Some(lit) = &tag.fallback {
            return Ok(match &lit.kind {
                LitKind::Str(s) => quote(s),
                LitKind::Num(n) => format!("{n}"),
                LitKind::Bool(b) => b.to_string(),
            });
        }
    }
    Ok(match value {
        Value::Missing => "null".to_string(),
        Value::Text(s) => quote(&s),
        Value::Time(t) => quote(&t.text),
        Value::Number(n) => format!("{n}"),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => serde_json::to_string(&items).unwrap_or_default(),
    })
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn write_json(it: &Interp, json: &ast::Json, out: &mut String) -> Result<(), String> {
    match &json.kind {
        JsonKind::Null => out.push_str("null"),
        JsonKind::Bool(b) => out.push_str(&b.to_string()),
        JsonKind::Number(n) => out.push_str(&n.to_string()),
        JsonKind::String(t) => out.push_str(&quote(&template(it, t, Context::BodyString)?)),
        JsonKind::Tag(tag) => out.push_str(&tag_json(it, tag)?),
        JsonKind::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(it, item, out)?;
            }
            out.push(']');
        }
        JsonKind::Object(members) => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quote(&key.value));
                out.push(':');
                write_json(it, value, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Percent-encodes every byte outside RFC 3986's unreserved set.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
