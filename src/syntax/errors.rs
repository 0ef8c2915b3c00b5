//! Turning a pest failure into a diagnostic in a rule author's words.
//!
//! pest reports the furthest position it reached and the named rules it tried there.
//! Each token rule maps to a phrase ("`then`", "a condition such as ..."); groups of
//! tokens that mean one thing (every JSON value, every statement) collapse into one
//! phrase. Neither pest's rule names nor its `Display` text reach the user.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::Rule;
use super::hints;
use super::strings;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::source::{SourceId, Span};

/// The diagnostic for a pest error from parsing `text[base..]`.
pub(super) fn from_pest(text: &str, file: SourceId, base: usize, err: &Error<Rule>) -> Diagnostic {
    let pos = base
        + match err.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let pos = pos.min(text.len());
    let positives: &[Rule] = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    if let Some(d) = string_error(text, file, pos, positives) {
        return d;
    }
    expected_error(text, file, pos, positives)
}

/// A string or merge tag that pest rejected as a whole: find the precise problem.
fn string_error(text: &str, file: SourceId, pos: usize, positives: &[Rule]) -> Option<Diagnostic> {
    let rest = text.get(pos..)?;
    let err = if rest.starts_with('"') {
        if positives.contains(&Rule::template) || positives.contains(&Rule::merge_tag) {
            strings::decode_template(text, pos).err()?
        } else {
            strings::decode_plain(text, pos).err()?
        }
    } else if rest.starts_with("{{") {
        strings::parse_tag(text, pos).err()?
    } else if pos > 0 && text.get(pos - 1..)?.starts_with("{{") {
        // A bare `{{ ... }}` that failed as a merge tag and then as an object.
        strings::parse_tag(text, pos - 1).err()?
    } else {
        return None;
    };
    let mut d = Diagnostic::new(err.code, err.message, file, err.span)
        .with_label_message(err.label)
        .with_help(err.help);
    if let Some((span, msg)) = err.related {
        d = d.with_label(file, span, msg);
    }
    Some(d)
}

/// "expected `then`, found `tehn`" with a did-you-mean or a hint in help.
fn expected_error(text: &str, file: SourceId, pos: usize, positives: &[Rule]) -> Diagnostic {
    let phrases = expected_phrases(positives);
    let found = strings::describe_found(text, pos);
    let list = join_or(&phrases);
    let message = if list.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {list}, found {found}")
    };
    let span = token_span(text, pos);
    let word = &text[span.range()];
    let candidates: Vec<&str> = positives.iter().flat_map(|r| words(*r)).copied().collect();
    let help = match did_you_mean(word, candidates.iter().copied()) {
        Some(w) if !word.is_empty() => Some(format!("did you mean `{w}`?")),
        _ => hints::hint(text, pos, positives).map(str::to_owned),
    };
    // The label repeats a short list in full; a long one is in the message already.
    let label = match phrases.first() {
        Some(_) if list.len() <= 40 => format!("expected {list}"),
        Some(first) => format!("expected {first}"),
        None => "unexpected here".to_owned(),
    };
    let d = Diagnostic::new(Code::Syntax, message, file, span).with_label_message(label);
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

/// The span of the token at `pos`: a word, or one character (empty at the end).
fn token_span(text: &str, pos: usize) -> Span {
    let rest = text.get(pos..).unwrap_or("");
    let word_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
        .map_or(rest.len(), |(i, _)| i);
    let len = if word_len > 0 {
        word_len
    } else if rest.starts_with('"') {
        string_len(rest)
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    };
    Span::new(pos, pos + len)
}

/// The length of the string token at the start of `rest` (to its closing quote, or to
/// the end of the line if it has none).
fn string_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' if bytes.get(i + 1).is_some_and(|&n| n != b'\n') => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    // Only ASCII bytes were stepped over one by one, so `i` is on a char boundary unless
    // an escape skipped into a multi-byte character; back off to a boundary then.
    let mut end = i.min(rest.len());
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The phrases for what was expected, deduplicated, in a stable order. Continuations of
/// a complete condition (`and`, `or`) are named only when nothing else would fit.
fn expected_phrases(positives: &[Rule]) -> Vec<&'static str> {
    let has = |r: Rule| positives.contains(&r);
    let json = has(Rule::merge_tag);
    let operand = has(Rule::string) && has(Rule::path) && has(Rule::number);
    let statement = has(Rule::method) && (has(Rule::kw_if) || has(Rule::kw_parallel));
    let mut out: Vec<&'static str> = Vec::new();
    fn push(out: &mut Vec<&'static str>, p: &'static str) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    for &rule in positives {
        if matches!(rule, Rule::and_op | Rule::or_op) {
            continue;
        }
        let phrase = match rule {
            Rule::merge_tag
            | Rule::json_object
            | Rule::json_array
            | Rule::template
            | Rule::number
            | Rule::boolean
            | Rule::null
            | Rule::p_lbrace
            | Rule::p_lbracket
                if json =>
            {
                Some("a JSON value")
            }
            Rule::string | Rule::number | Rule::boolean | Rule::path if operand => Some(
                "a value (`\"text\"`, a number, `true` or `false`) or a path such as `case.subject`",
            ),
            Rule::kw_if | Rule::kw_parallel | Rule::method if statement => {
                Some("a statement (`if`, `parallel`, `post`, `put`, `patch` or `delete`)")
            }
            _ => phrase(rule),
        };
        if let Some(p) = phrase {
            push(&mut out, p);
        }
    }
    if out.is_empty() {
        for &rule in positives {
            if let Some(p) = phrase(rule) {
                push(&mut out, p);
            }
        }
    }
    out
}

/// How one expected token is named in a message.
fn phrase(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::strict_item | Rule::kw_rule | Rule::kw_schema => "`rule` or `schema`",
        Rule::kw_field | Rule::kw_tags | Rule::kw_secret => {
            "a declaration (`field`, `tags` or `secret`)"
        }
        Rule::field_type | Rule::ty_word | Rule::kw_list | Rule::kw_one => {
            "a type (`text`, `number`, `bool`, `timestamp`, `list of text` or `one of (...)`)"
        }
        Rule::kw_of => "`of`",
        Rule::kw_text => "`text`",
        Rule::kw_when => "`when` and a trigger such as `case.closed`",
        Rule::kw_throttle => "`throttle`",
        Rule::kw_per => "`per`",
        Rule::throttle_key => "`case` or `contact`",
        Rule::time_unit => "a time unit (`second`, `minute`, `hour` or `day`)",
        Rule::duration => "a duration such as `60 minutes`",
        Rule::int => "a whole number",
        Rule::kw_if => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_parallel => "`parallel`",
        Rule::method => "an action (`post`, `put`, `patch` or `delete`)",
        Rule::cond => "a condition such as `case.tags contains \"Bug\"`",
        Rule::not_op => "`not`",
        Rule::and_op => "`and`",
        Rule::or_op => "`or`",
        Rule::empty_op | Rule::list_op | Rule::cmp_op => {
            "an operator such as `contains`, `==`, `in` or `is not empty`"
        }
        Rule::path => "a path such as `case.subject`",
        Rule::string => "a string such as `\"text\"`",
        Rule::template => "a quoted string",
        Rule::number => "a number",
        Rule::boolean => "`true` or `false`",
        Rule::null => "`null`",
        Rule::merge_tag => "a merge tag such as `{{case.id}}`",
        Rule::ident => "a name such as `refund_amount`",
        Rule::kw_header | Rule::kw_sign | Rule::kw_body | Rule::kw_timeout | Rule::kw_retry => {
            "a clause (`header`, `sign`, `body`, `timeout` or `retry`)"
        }
        Rule::hmac | Rule::std_webhooks => "`hmac-sha256` or `standard-webhooks`",
        Rule::kw_with => "`with`",
        Rule::never => "`never`",
        Rule::kw_times => "`times`",
        Rule::json_object | Rule::p_lbrace => "`{`",
        Rule::p_rbrace => "`}`",
        Rule::p_lparen | Rule::group => "`(`",
        Rule::p_rparen => "`)`",
        Rule::json_array | Rule::lit_list | Rule::p_lbracket => "`[`",
        Rule::p_rbracket => "`]`",
        Rule::p_comma => "`,`",
        Rule::p_colon => "`:`",
        Rule::p_eq => "`=`",
        _ => return None,
    })
}

/// Keywords a misspelt word may have meant, for "did you mean".
fn words(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::strict_item => &["rule", "schema"],
        Rule::kw_rule => &["rule"],
        Rule::kw_schema => &["schema"],
        Rule::kw_field => &["field"],
        Rule::kw_tags => &["tags"],
        Rule::kw_secret => &["secret"],
        Rule::field_type | Rule::ty_word => &["text", "number", "bool", "timestamp", "list", "one"],
        Rule::kw_list => &["list"],
        Rule::kw_one => &["one"],
        Rule::kw_of => &["of"],
        Rule::kw_text => &["text"],
        Rule::kw_when => &["when"],
        Rule::kw_throttle => &["throttle"],
        Rule::kw_per => &["per"],
        Rule::throttle_key => &["case", "contact"],
        Rule::time_unit => &[
            "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days",
        ],
        Rule::kw_if => &["if"],
        Rule::kw_then => &["then"],
        Rule::kw_else => &["else"],
        Rule::kw_parallel => &["parallel"],
        Rule::method => &["post", "put", "patch", "delete"],
        Rule::not_op => &["not"],
        Rule::and_op => &["and"],
        Rule::or_op => &["or"],
        Rule::empty_op => &["is"],
        Rule::list_op => &["in"],
        Rule::cmp_op => &["contains", "starts", "ends"],
        Rule::boolean => &["true", "false"],
        Rule::null => &["null"],
        Rule::kw_header => &["header"],
        Rule::kw_sign => &["sign"],
        Rule::kw_body => &["body"],
        Rule::kw_timeout => &["timeout"],
        Rule::kw_retry => &["retry"],
        Rule::hmac => &["hmac-sha256"],
        Rule::std_webhooks => &["standard-webhooks"],
        Rule::kw_with => &["with"],
        Rule::never => &["never"],
        Rule::kw_times => &["times", "time"],
        _ => &[],
    }
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
