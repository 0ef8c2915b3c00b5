//! Checking actions (spec §6): the URL, headers (secrets allowed, credentials not), the
//! signing secret, the JSON body, timeouts, retries, and throttle rates.

use crate::ast::{
    Action, Json, JsonKind, Rate, Retry, RetryKind, SignScheme, StrLit, Template, TemplatePart,
};
use crate::diag::Code;
use crate::source::Span;

use super::paths::Place;
use super::rule::RuleCx;

/// Timeouts above this are refused: a receiver that slow holds up a case's queue.
pub const MAX_TIMEOUT_SECS: u64 = 300;
/// `retry N times` above this is refused: the default schedule already spans a day.
pub const MAX_RETRY_ATTEMPTS: u32 = 50;
/// Token prefixes of well-known API keys (Stripe, GitHub, Slack, AWS).
const CREDENTIAL_PREFIXES: [&str; 5] = ["sk_live_", "sk_test_", "ghp_", "xox", "AKIA"];
/// Characters after a known prefix before a token looks like a real key.
const MIN_KEY_TAIL: usize = 8;
/// A literal after `Bearer ` at least this long looks like a token.
const MIN_BEARER_TOKEN: usize = 16;
/// Throttle windows are kept in the run store for at most this long.
const MAX_WINDOW_SECS: u64 = 30 * 86_400;
/// A larger count is no throttle at all, and would overflow the store's counters.
const MAX_RATE_COUNT: u64 = 1_000_000;

impl<'a> RuleCx<'a, '_> {
    pub(super) fn check_action(&mut self, action: &'a Action, reachable: bool) {
        if reachable {
            self.reachable_actions += 1;
        }
        self.check_url(&action.url);
        self.check_template(&action.url, Place::Url, reachable);
        for header in &action.headers {
            self.check_header_name(&header.name);
            self.check_template(&header.value, Place::Header, reachable);
            self.check_credential(&header.name, &header.value);
        }
        if let Some(sign) = &action.sign {
            if let SignScheme::HmacSha256 { header: Some(name) } = &sign.scheme {
                self.check_header_name(name);
            }
            self.read(sign.secret, Place::Sign);
        }
        if let Some(body) = &action.body {
            self.check_json(body, reachable);
        }
        if let Some(timeout) = action.timeout {
            self.check_timeout(timeout);
        }
        if let Some(retry) = action.retry {
            self.check_retry(retry);
        }
    }

    fn check_template(&mut self, template: &'a Template, place: Place, reachable: bool) {
        for part in &template.parts {
            if let TemplatePart::Tag(tag) = part {
                self.check_tag(tag, place, reachable);
            }
        }
    }

    fn check_json(&mut self, json: &'a Json, reachable: bool) {
        match &json.kind {
            JsonKind::Null | JsonKind::Bool(_) | JsonKind::Number(_) => {}
            JsonKind::String(template) => self.check_template(template, Place::Body, reachable),
            JsonKind::Tag(tag) => self.check_tag(tag, Place::Body, reachable),
            JsonKind::Array(items) => {
                for item in items {
                    self.check_json(item, reachable);
                }
            }
            JsonKind::Object(members) => {
                self.duplicate_keys(members);
                for (_, value) in members {
                    self.check_json(value, reachable);
                }
            }
        }
    }

    fn duplicate_keys(&mut self, members: &[(StrLit, Json)]) {
        for (i, (key, _)) in members.iter().enumerate() {
            let Some((first, _)) = members[..i].iter().find(|(k, _)| k.value == key.value) else {
                continue;
            };
            let d = self
                .diag(
                    Code::BadBody,
                    format!("key `\"{}\"` appears twice in one object", key.value),
                    key.span,
                )
                .with_label_message("repeated here")
                .with_label(self.file.id, first.span, "first written here")
                .with_help("remove one of them: receivers keep only one value for a key");
            self.report(d);
        }
    }

    fn check_url(&mut self, url: &Template) {
        let first = match url.parts.first() {
            Some(TemplatePart::Text(text)) => text.as_str(),
            _ => "",
        };
        // The URL as written, for messages (sliced only when something is wrong).
        let file = self.file;
        let shown = || file.slice(url.span).trim_matches('"');
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|s| first.starts_with(s));
        let Some(scheme) = scheme else {
            return self.bad_url(
                url.span,
                format!(
                    "url `{}` does not start with `https://` or `http://`",
                    shown()
                ),
                "write the scheme and host literally: `\"https://api.example.com/...\"`",
            );
        };
        let rest = &first[scheme.len()..];
        let host_end = rest.find(['/', '?', '#']);
        let host = &rest[..host_end.unwrap_or(rest.len())];
        if host_end.is_none() && url.parts.len() > 1 {
            return self.bad_url(
                url.span,
                format!("url `{}` has a merge tag in its host", shown()),
                "the scheme and host must be literal; put merge tags after the first `/`: \
                 `\"https://api.example.com/cases/{{case.id}}\"`",
            );
        }
        if host.is_empty() || !host.chars().all(host_char) {
            return self.bad_url(
                url.span,
                format!("url `{}` has no valid host", shown()),
                "write a host name after the scheme: `\"https://api.example.com/...\"`",
            );
        }
        if scheme == "http://" {
            let d = self
                .diag(
                    Code::InsecureUrl,
                    format!("url `{}` is not encrypted", shown()),
                    url.span,
                )
                .with_label_message("plain `http://` sends case data in clear text")
                .with_help("use `https://` so case data and credentials are encrypted in transit");
            self.report(d);
        }
    }

    fn bad_url(&mut self, span: Span, message: String, help: &str) {
        let d = self
            .diag(Code::BadUrl, message, span)
            .with_label_message("the url must start with a literal `https://host`")
            .with_help(help);
        self.report(d);
    }

    /// Literal text of a header value that looks like an API key or bearer token.
    fn check_credential(&mut self, name: &StrLit, value: &Template) {
        let suspicious = value.parts.iter().any(|part| match part {
            TemplatePart::Text(text) => looks_like_credential(text),
            TemplatePart::Tag(_) => false,
        });
        if !suspicious {
            return;
        }
        let d = self
            .diag(
                Code::CredentialInHeader,
                format!("header `{}` holds what looks like a credential", name.value),
                value.span,
            )
            .with_label_message("a literal token here ends up in version control")
            .with_help(
                "declare `secret NAME` in a schema block and write the value as \
                 `\"Bearer {{secrets.NAME}}\"`; the runtime reads it from `RULEC_SECRET_NAME`",
            );
        self.report(d);
    }

    /// Header names are HTTP tokens (RFC 9110 §5.6.2): no spaces, colons or quotes.
    fn check_header_name(&mut self, name: &StrLit) {
        let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if !name.value.is_empty() && name.value.chars().all(is_token_char) {
            return;
        }
        let d = self
            .diag(
                Code::BadHeaderName,
                format!("`{}` is not a valid header name", name.value),
                name.span,
            )
            .with_label_message("not an HTTP token")
            .with_help(
                "header names use letters, digits and `-` (no spaces, colons or quotes), e.g. `X-Request-Source`",
            );
        self.report(d);
    }

    fn check_timeout(&mut self, timeout: crate::ast::Duration) {
        let secs = timeout.seconds();
        if secs > 0 && secs <= MAX_TIMEOUT_SECS {
            return;
        }
        let text = self.file.slice(timeout.span).to_string();
        let message = if secs == 0 {
            format!("timeout `{text}` is zero")
        } else {
            format!("timeout `{text}` is longer than {MAX_TIMEOUT_SECS} seconds")
        };
        let d = self
            .diag(Code::BadDuration, message, timeout.span)
            .with_label_message(format!("must be from 1 to {MAX_TIMEOUT_SECS} seconds"))
            .with_help(format!(
                "use a timeout from 1 to {MAX_TIMEOUT_SECS} seconds, e.g. `timeout 10 seconds`"
            ));
        self.report(d);
    }

    fn check_retry(&mut self, retry: Retry) {
        let RetryKind::Times(n) = retry.kind else {
            return;
        };
        if (1..=MAX_RETRY_ATTEMPTS).contains(&n) {
            return;
        }
        let text = self.file.slice(retry.span).to_string();
        let message = if n == 0 {
            format!("`{text}` makes no attempt at all")
        } else {
            format!("`{text}` is more than {MAX_RETRY_ATTEMPTS} attempts")
        };
        let d = self
            .diag(Code::BadDuration, message, retry.span)
            .with_label_message(format!("attempts must be from 1 to {MAX_RETRY_ATTEMPTS}"))
            .with_help(format!(
                "use `retry never` for one attempt, or `retry N times` with N from 1 to {MAX_RETRY_ATTEMPTS}"
            ));
        self.report(d);
    }

    pub(super) fn check_rate(&mut self, rate: &Rate) {
        let (span, message, label, help) = if rate.count == 0 {
            let text = self.file.slice(rate.span);
            (
                rate.span,
                format!("rate `{text}` allows nothing"),
                "must be at least 1",
                "use a count of at least 1, e.g. `1 per minute`, or remove the throttle",
            )
        } else if rate.count > MAX_RATE_COUNT {
            let text = self.file.slice(rate.span);
            (
                rate.span,
                format!("rate `{text}` allows more than {MAX_RATE_COUNT} executions"),
                "too many to throttle anything",
                "use a count of at most 1000000, or remove the throttle",
            )
        } else if rate.per.amount == 0 {
            let text = self.file.slice(rate.per.span);
            (
                rate.per.span,
                format!("duration `{text}` is zero"),
                "must be at least 1",
                "use a window of at least 1, e.g. `1 per 60 minutes`",
            )
        } else if rate.per.seconds() > MAX_WINDOW_SECS {
            let text = self.file.slice(rate.per.span);
            (
                rate.per.span,
                format!("window `{text}` is longer than 30 days"),
                "at most 30 days",
                "use a window of at most 30 days; the run store keeps throttle history that long",
            )
        } else {
            return;
        };
        let d = self
            .diag(Code::BadDuration, message, span)
            .with_label_message(label)
            .with_help(help);
        self.report(d);
    }
}

/// Characters a literal host (with optional userinfo and port) may hold.
fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']' | '@' | '_' | '%')
}

/// Known key prefixes starting a token, or `Bearer` followed by a long literal.
pub(super) fn looks_like_credential(text: &str) -> bool {
    let tokens = text.split(|c: char| c.is_whitespace() || matches!(c, '=' | ',' | ';' | ':'));
    let mut previous_bearer = false;
    for token in tokens.filter(|t| !t.is_empty()) {
        if previous_bearer && token.chars().count() >= MIN_BEARER_TOKEN {
            return true;
        }
        if CREDENTIAL_PREFIXES
            .iter()
            .any(|p| token.starts_with(p) && token.len() >= p.len() + MIN_KEY_TAIL)
        {
            return true;
        }
        previous_bearer = token.eq_ignore_ascii_case("bearer");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::looks_like_credential;

    #[test]
    fn credentials_are_recognised_by_prefix_or_bearer_length() {
        assert!(looks_like_credential(
            "Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        ));
        assert!(looks_like_credential("Bearer abcdefghijklmnop"));
        assert!(looks_like_credential(
            "token=ghp_16C7e42F292c6912E7710c838347Ae178B4a"
        ));
        assert!(looks_like_credential("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_like_credential("Bearer "));
        assert!(!looks_like_credential("Bearer short"));
        assert!(!looks_like_credential("application/json"));
        assert!(!looks_like_credential("xoxo"));
    }
}
