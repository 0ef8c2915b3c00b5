//! Help text for syntax errors: how to write what was expected, chosen from what pest
//! expected, what was found, and the line it is on. Used when no keyword was misspelt
//! (that gets "did you mean").

use super::grammar::Rule;

/// Help for a syntax error at `pos`, if one of the known situations applies.
pub(super) fn hint(text: &str, pos: usize, positives: &[Rule]) -> Option<&'static str> {
    let has = |r: Rule| positives.contains(&r);
    let rest = text.get(pos..).unwrap_or("");
    let line = current_line(text, pos);
    let found_word = rest.starts_with(|c: char| c.is_alphanumeric() || c == '_');
    let at_end = rest.trim_start().is_empty() || starts_item(rest);
    Some(if let Some(h) = symbol_hint(rest, positives) {
        h
    } else if (rest.starts_with('}') || rest.starts_with(']')) && after_comma(text, pos) {
        "remove the `,` before the closing bracket: JSON allows none there"
    } else if has(Rule::string) && has(Rule::path) && has(Rule::number) {
        "text values are quoted, e.g. `case.status == \"open\"`; a path has a dot, e.g. \
         `case.subject`"
    } else if has(Rule::kw_times) {
        "write `retry 3 times` (attempts in all) or `retry never`"
    } else if has(Rule::cond) {
        "a condition compares a path with a value, e.g. `case.tags contains \"Bug\"` or \
         `case.subject is not empty`"
    } else if has(Rule::kw_then) {
        "write `then` between the condition and its block: `if COND then { ... }`"
    } else if has(Rule::empty_op) {
        "put an operator after the path, e.g. `case.subject is not empty` or \
         `case.status == \"open\"`"
    } else if has(Rule::kw_when) {
        "a rule starts with its trigger, e.g. `when case.closed`"
    } else if has(Rule::p_colon) && line.starts_with("field") {
        "a custom field is declared `field NAME: TYPE`, e.g. `field refund_amount: number`"
    } else if has(Rule::p_colon) {
        "a body member is written `\"key\": value`"
    } else if has(Rule::p_eq) {
        "a header is written `header \"Name\" = \"value\"`"
    } else if has(Rule::lit_list) || has(Rule::p_lbracket) && line.contains(" in ") {
        "a list is written in brackets: `case.status in [\"open\", \"pending\"]`"
    } else if has(Rule::merge_tag) {
        "a JSON value is a string, a number, `true`, `false`, `null`, an object, an array or \
         a merge tag such as `{{case.id}}`"
    } else if has(Rule::p_lbrace) && has(Rule::p_lbracket) {
        "a body is a JSON object or array, e.g. `body { \"case\": \"{{case.id}}\" }`"
    } else if has(Rule::kw_if) && has(Rule::p_lbrace) && !has(Rule::method) {
        "after `else` comes `if COND then { ... }` or a block `{ ... }`"
    } else if has(Rule::throttle_key) {
        "a keyed throttle is written `throttle per case 1 per hour` (or `per contact`)"
    } else if has(Rule::template) && rest.starts_with("http") {
        "put the URL in double quotes: `post \"https://example.com/hook\" { ... }`"
    } else if has(Rule::template) || has(Rule::string) && positives.len() == 1 {
        "write text in double quotes, e.g. `\"Refund to finance\"`"
    } else if has(Rule::path) && line.starts_with("when") {
        "a trigger is one of `case.created`, `case.updated`, `case.closed`, `case.reopened`, \
         `case.tagged` or `case.assigned`"
    } else if has(Rule::path) && positives.len() == 1 {
        "a path is dotted, e.g. `case.subject` or `secrets.SIGNING_KEY`"
    } else if has(Rule::kw_per) {
        "a rate is written `N per minute` or `N per 10 minutes`"
    } else if has(Rule::time_unit) {
        "a duration is a whole number and a unit, e.g. `10 seconds` or `2 hours`"
    } else if has(Rule::hmac) {
        "sign with `hmac-sha256 with secrets.NAME` or `standard-webhooks with secrets.NAME`"
    } else if has(Rule::method) && !has(Rule::kw_if) && rest.starts_with("if") {
        "`parallel` holds actions only; put the `if` around the `parallel` block instead"
    } else if has(Rule::method) && found_word && !at_end {
        "an action starts with `post`, `put`, `patch` or `delete` and a quoted URL"
    } else if has(Rule::p_comma) {
        "separate members and items with `,`"
    } else if has(Rule::p_rbrace) && at_end {
        "check that every `{` has a matching `}`"
    } else if has(Rule::strict_item) || has(Rule::kw_rule) {
        "a file holds `rule \"NAME\" { ... }` and `schema { ... }` blocks"
    } else {
        return None;
    })
}

/// Operators from other languages, where the rule language has a word or `==`.
fn symbol_hint(rest: &str, positives: &[Rule]) -> Option<&'static str> {
    let has = |r: Rule| positives.contains(&r);
    if has(Rule::and_op) && (rest.starts_with("&&") || rest.starts_with("||")) {
        Some("join conditions with `and` and `or`, e.g. `A and B`")
    } else if has(Rule::cond) && rest.starts_with('!') {
        Some("negate a condition with `not`, e.g. `not case.tags contains \"Bug\"`")
    } else if has(Rule::cmp_op) && rest.starts_with('=') && !rest.starts_with("==") {
        Some("did you mean `==`?")
    } else {
        None
    }
}

/// The line holding `pos`, without its indentation.
fn current_line(text: &str, pos: usize) -> &str {
    let pos = pos.min(text.len());
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    text.get(start..end).unwrap_or("").trim_start()
}

/// Whether the last non-whitespace character before `pos` is a `,`.
fn after_comma(text: &str, pos: usize) -> bool {
    text.get(..pos)
        .and_then(|before| before.trim_end().chars().last())
        .is_some_and(|c| c == ',')
}

/// Whether `rest` starts with the keyword of a top-level item.
fn starts_item(rest: &str) -> bool {
    ["rule", "schema"].iter().any(|kw| {
        rest.strip_prefix(kw)
            .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    })
}
