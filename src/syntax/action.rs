//! Actions and JSON bodies: pairs to `ast::Action` and `ast::Json`.

use pest::iterators::Pair;

use super::build::{out_of_range, too_large, Builder};
use super::grammar::Rule;
use super::strings;
use crate::ast::{
    Action, Header, Json, JsonKind, Method, Path, Retry, RetryKind, Sign, SignScheme, StrLit,
    Template,
};
use crate::diag::{Code, Diagnostic};
use crate::source::{SourceId, Span};

/// Which single-use clauses an action has seen so far, with the first one's keyword span.
#[derive(Default)]
struct SeenClauses {
    body: Option<Span>,
    sign: Option<Span>,
    timeout: Option<Span>,
    retry: Option<Span>,
}

impl<'a> Builder<'a> {
    // ------------------------------------------------------------------ actions

    pub(super) fn action(&mut self, pair: Pair<'a, Rule>) -> Action {
        let span = self.span(&pair);
        let mut action = Action {
            span,
            method: Method::Post,
            method_span: span,
            url: Template {
                span,
                parts: Vec::new(),
            },
            headers: Vec::new(),
            sign: None,
            body: None,
            timeout: None,
            retry: None,
        };
        let mut seen = SeenClauses::default();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::method => {
                    action.method_span = self.span(&p);
                    action.method = match p.as_str() {
                        "put" => Method::Put,
                        "patch" => Method::Patch,
                        "delete" => Method::Delete,
                        _ => Method::Post,
                    };
                }
                Rule::template => action.url = self.template(&p),
                Rule::header => action.headers.push(self.header(p)),
                _ => self.single_clause(p, &mut action, &mut seen),
            }
        }
        action
    }

    /// `body`, `sign`, `timeout` and `retry`: at most one each (E0004 on the second).
    fn single_clause(&mut self, pair: Pair<'a, Rule>, action: &mut Action, seen: &mut SeenClauses) {
        let (keyword, slot) = match pair.as_rule() {
            Rule::body => ("body", &mut seen.body),
            Rule::sign => ("sign", &mut seen.sign),
            Rule::timeout => ("timeout", &mut seen.timeout),
            Rule::retry => ("retry", &mut seen.retry),
            _ => return,
        };
        let start = self.base + pair.as_span().start();
        let kw_span = Span::new(start, start + keyword.len());
        if let Some(first) = *slot {
            self.diags
                .push(duplicate_clause(self.file, keyword, kw_span, first));
            return;
        }
        *slot = Some(kw_span);
        match pair.as_rule() {
            Rule::body => action.body = pair.into_inner().next().map(|j| self.json(j)),
            Rule::sign => action.sign = Some(self.sign(pair)),
            Rule::timeout => {
                action.timeout = pair.into_inner().next().map(|d| self.duration(d));
            }
            _ => action.retry = Some(self.retry(pair)),
        }
    }

    fn header(&mut self, pair: Pair<'a, Rule>) -> Header {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string => name = Some(self.str_lit(p)),
                Rule::template => value = Some(self.template(&p)),
                _ => {}
            }
        }
        let name = name.unwrap_or(StrLit {
            span,
            value: String::new(),
        });
        let value = value.unwrap_or(Template {
            span,
            parts: Vec::new(),
        });
        Header { span, name, value }
    }

    fn sign(&mut self, pair: Pair<'a, Rule>) -> Sign {
        let span = self.span(&pair);
        let mut scheme = SignScheme::StandardWebhooks;
        let mut secret = Path { span };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::hmac => scheme = SignScheme::HmacSha256 { header: None },
                Rule::path => {
                    secret = Path {
                        span: self.span(&p),
                    }
                }
                Rule::string => {
                    scheme = SignScheme::HmacSha256 {
                        header: Some(self.str_lit(p)),
                    }
                }
                _ => {}
            }
        }
        Sign {
            span,
            scheme,
            secret,
        }
    }

    fn retry(&mut self, pair: Pair<'a, Rule>) -> Retry {
        let span = self.span(&pair);
        let mut kind = RetryKind::Never;
        if let Some(p) = pair.into_inner().find(|p| p.as_rule() == Rule::int) {
            let n = self.int(&p);
            kind = RetryKind::Times(u32::try_from(n).unwrap_or_else(|_| {
                self.error(too_large(self.file, self.span(&p), p.as_str()));
                0
            }));
        }
        Retry { span, kind }
    }

    // ------------------------------------------------------------------ JSON

    fn json(&mut self, pair: Pair<'a, Rule>) -> Json {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::json_object => {
                let mut inner = pair.into_inner();
                let mut members = Vec::with_capacity(inner.len() / 2);
                while let (Some(k), Some(v)) = (inner.next(), inner.next()) {
                    let key = self.str_lit(k);
                    members.push((key, self.json(v)));
                }
                JsonKind::Object(members)
            }
            Rule::json_array => JsonKind::Array(pair.into_inner().map(|p| self.json(p)).collect()),
            Rule::template => JsonKind::String(self.template(&pair)),
            Rule::merge_tag => match strings::parse_tag(self.text, span.start as usize) {
                Ok((tag, _)) => JsonKind::Tag(tag),
                Err(e) => {
                    self.string_error(e);
                    JsonKind::Null
                }
            },
            Rule::number => match pair.as_str().parse::<serde_json::Number>() {
                Ok(n) => JsonKind::Number(n),
                Err(_) => {
                    self.error(out_of_range(self.file, span, pair.as_str()));
                    JsonKind::Null
                }
            },
            Rule::boolean => JsonKind::Bool(pair.as_str() == "true"),
            _ => JsonKind::Null,
        };
        Json { span, kind }
    }
}

fn duplicate_clause(file: SourceId, keyword: &str, second: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateClause,
        format!("duplicate `{keyword}` clause in this action"),
        file,
        second,
    )
    .with_label_message(format!("second `{keyword}` here"))
    .with_label(file, first, format!("first `{keyword}` here"))
    .with_help(format!(
        "an action takes at most one `{keyword}`; remove one of them"
    ))
}
