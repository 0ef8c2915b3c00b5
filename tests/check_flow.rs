//! The checker's warnings (W02xx) and the path-sensitive facts behind "may render empty"
//! and "branch can never be taken": and/or/not, else and else-if, nesting, trigger facts,
//! fallbacks.

#[path = "check/support.rs"]
mod support;

use support::{check, lines, rule, send, with_schema};

const SCHEMA: &str = "  field amount: number\n  field plan: one of (\"free\", \"pro\")\n  tags \"VIP\", \"Bug\"\n  secret TOKEN\n";

/// A rule under `trigger` with [`SCHEMA`]; its body starts on line 9.
fn flow(trigger: &str, body: &str) -> String {
    with_schema(SCHEMA, trigger, body)
}

#[test]
fn w0201_points_at_the_merge_tag_and_shows_guard_and_fallback() {
    let found = expect!(
        rule("case.closed", &send(2, "contact.email")),
        "W0201" @ 3:47,
        "`contact.email` may render empty",
        "guard the action with `if contact.email is not empty then { ... }`, or add a fallback: `{{contact.email ?? ''}}`"
    );
    assert_eq!(found.labelled, ["{{contact.email}}"]);
    let found = support::only(&flow("case.closed", &send(2, "case.custom_fields.amount")));
    assert_eq!(
        (found.code.as_str(), found.line, found.column),
        ("W0201", 9, 47)
    );
    assert_eq!(
        found.help,
        "guard the action with `if case.custom_fields.amount is not empty then { ... }`, or add a fallback: `{{case.custom_fields.amount ?? 0}}`"
    );
    let found = support::only(&rule("case.closed", &send(2, "case.tags")));
    assert_eq!(
        found.help,
        "guard the action with `if case.tags is not empty then { ... }`"
    );
}

#[test]
fn w0201_trigger_facts_decide_closed_at_and_the_assigned_agent() {
    let found = support::only(&rule("case.updated", &send(2, "case.closed_at")));
    assert_eq!(found.code, "W0201");
    assert_eq!(
        found.help,
        "guard the action with `if case.closed_at is not empty then { ... }`, or add a fallback: \
         `{{case.closed_at ?? ''}}` (it is always set under `when case.closed`)"
    );
    assert_eq!(check(&rule("case.closed", &send(2, "case.closed_at"))), []);
    assert_eq!(
        check(&rule(
            "case.assigned",
            &send(2, "case.assigned_agent.email")
        )),
        []
    );
    assert_eq!(
        lines(&rule("case.created", &send(2, "case.assigned_agent.email"))),
        ["W0201@3"]
    );
    assert_eq!(check(&rule("case.tagged", &send(2, "event.tag"))), []);
    for never_empty in [
        "event.id",
        "event.at",
        "tenant.slug",
        "case.id",
        "case.status",
        "contact.id",
    ] {
        assert_eq!(
            check(&rule("case.created", &send(2, never_empty))),
            [],
            "{never_empty}"
        );
    }
}

#[test]
fn w0201_in_urls_headers_and_bare_body_values() {
    let body = "  post \"https://example.com/c/{{conversation.id}}\" {\n    header \"X-Level\" = \"{{contact.customer_level}}\"\n    header \"Authorization\" = \"Bearer {{secrets.TOKEN}}\"\n    body { \"a\": {{case.custom_fields.amount}}, \"s\": [\"{{case.subject}}\"] }\n  }\n";
    assert_eq!(
        support::codes(&flow("case.closed", body)),
        ["W0201@9:31", "W0201@10:25", "W0201@12:17", "W0201@12:55"]
    );
}

#[test]
fn any_fallback_silences_may_render_empty() {
    let body = "  post \"https://example.com/h\" {\n    body { \"a\": \"{{contact.email ?? ''}}\", \"n\": {{case.custom_fields.amount ?? 0}}, \"p\": \"{{case.custom_fields.plan ?? 'free'}}\" }\n  }\n";
    assert_eq!(check(&flow("case.closed", body)), []);
}

/// `if COND then { send(path) }`: the action is on line 10.
fn guarded(cond: &str, path: &str) -> String {
    flow(
        "case.closed",
        &format!("  if {cond} then {{\n{}  }}\n", send(4, path)),
    )
}

#[test]
fn conditions_false_on_empty_prove_the_path_has_a_value() {
    for (cond, path) in [
        ("contact.email is not empty", "contact.email"),
        ("case.custom_fields.amount > 0", "case.custom_fields.amount"),
        (
            "contact.customer_level == \"gold\"",
            "contact.customer_level",
        ),
        ("case.tags contains \"VIP\"", "case.tags"),
        ("case.subject contains \"refund\"", "case.subject"),
        ("case.subject starts with \"Re:\"", "case.subject"),
        ("case.subject ends with \"!\"", "case.subject"),
        ("case.priority in [\"high\", \"urgent\"]", "case.priority"),
        (
            "case.custom_fields.plan != \"free\" and case.custom_fields.plan is not empty",
            "case.custom_fields.plan",
        ),
        ("case.subject == contact.name", "contact.name"),
        ("not (contact.phone is empty)", "contact.phone"),
    ] {
        assert_eq!(lines(&guarded(cond, path)), Vec::<String>::new(), "{cond}");
    }
}

#[test]
fn conditions_true_on_empty_prove_nothing() {
    for (cond, path) in [
        (
            "contact.customer_level != \"gold\"",
            "contact.customer_level",
        ),
        ("case.tags not contains \"VIP\"", "case.tags"),
        ("case.priority not in [\"low\"]", "case.priority"),
        ("contact.email is empty", "contact.email"),
        ("contact.name is not empty", "contact.email"),
        ("not (contact.email is not empty)", "contact.email"),
    ] {
        assert_eq!(lines(&guarded(cond, path)), ["W0201@10"], "{cond}");
    }
}

#[test]
fn and_proves_the_union_or_the_intersection() {
    let both = "contact.email is not empty and contact.name is not empty";
    assert_eq!(lines(&guarded(both, "contact.email")), Vec::<String>::new());
    assert_eq!(lines(&guarded(both, "contact.name")), Vec::<String>::new());
    let either = "contact.email is not empty or contact.name is not empty";
    assert_eq!(lines(&guarded(either, "contact.email")), ["W0201@10"]);
    let same = "contact.email ends with \".com\" or contact.email ends with \".org\"";
    assert_eq!(lines(&guarded(same, "contact.email")), Vec::<String>::new());
    let nested = "(contact.email is not empty and case.subject is not empty) or contact.email contains \"@\"";
    assert_eq!(
        lines(&guarded(nested, "contact.email")),
        Vec::<String>::new()
    );
    assert_eq!(lines(&guarded(nested, "case.subject")), ["W0201@10"]);
}

#[test]
fn not_applies_de_morgan() {
    let neither_empty = "not (contact.email is empty or contact.name is empty)";
    assert_eq!(
        lines(&guarded(neither_empty, "contact.name")),
        Vec::<String>::new()
    );
    let not_both = "not (contact.email is empty and contact.name is empty)";
    assert_eq!(lines(&guarded(not_both, "contact.name")), ["W0201@10"]);
    let double = "not not contact.email is not empty";
    assert_eq!(
        lines(&guarded(double, "contact.email")),
        Vec::<String>::new()
    );
}

#[test]
fn else_and_else_if_know_the_negation_of_earlier_conditions() {
    let body = format!(
        "  if contact.email is empty then {{\n{}  }} else if contact.name is empty then {{\n{}  }} else {{\n{}  }}\n",
        send(4, "case.id"),
        send(4, "contact.email"),
        send(4, "contact.name"),
    );
    assert_eq!(lines(&flow("case.closed", &body)), Vec::<String>::new());
    // `!=` failing means `==` held: the value is there.
    let body = format!(
        "  if contact.customer_level != \"gold\" then {{\n{}  }} else {{\n{}  }}\n",
        send(4, "contact.customer_level"),
        send(4, "contact.customer_level"),
    );
    assert_eq!(lines(&flow("case.closed", &body)), ["W0201@10"]);
}

#[test]
fn nested_ifs_accumulate_and_facts_end_with_their_block() {
    let body = format!(
        "  if contact.email is not empty then {{\n    if case.subject is not empty then {{\n{}{}    }}\n  }}\n{}",
        send(6, "contact.email"),
        send(6, "case.subject"),
        send(2, "contact.email"),
    );
    // Inside both ifs both paths are known; after the chain, nothing is.
    assert_eq!(lines(&flow("case.closed", &body)), ["W0201@15"]);
}

#[test]
fn w0202_a_rule_without_actions_or_with_only_dead_ones() {
    let found = expect!(
        rule("case.closed", ""),
        "W0202" @ 1:6,
        "rule `r` can never send anything",
        "add an action, e.g. `post \"https://example.com/hook\" { body { \"case\": \"{{case.id}}\" } }`"
    );
    assert_eq!(found.labelled, ["\"r\""]);
    let dead = format!(
        "  if case.id is empty then {{\n{}  }}\n",
        send(4, "case.id")
    );
    let found = check(&rule("case.closed", &dead));
    let summary: Vec<_> = found
        .iter()
        .map(|f| (f.code.as_str(), f.line, f.column))
        .collect();
    assert_eq!(summary, [("W0202", 1, 6), ("W0203", 3, 6)]);
    assert_eq!(
        found[0].help,
        "every action sits in a branch that can never be taken: fix the conditions of those branches"
    );
    assert_eq!(found[1].labelled, ["case.id is empty", "case.closed"]);
}

#[test]
fn w0203_branches_that_contradict_their_path() {
    let msg_help = (
        "this branch can never be taken",
        "remove the branch, or change its condition (or an earlier one) so some event can take it",
    );
    let repeated = format!(
        "  if contact.email is not empty then {{\n{}  }} else if contact.email is not empty then {{\n{}  }}\n",
        send(4, "case.id"),
        send(4, "case.id"),
    );
    let found = support::only(&flow("case.closed", &repeated));
    assert_eq!(
        (found.code.as_str(), found.line, found.column),
        ("W0203", 11, 13)
    );
    assert_eq!((found.message.as_str(), found.help.as_str()), msg_help);
    assert_eq!(
        found.labelled,
        ["contact.email is not empty", "contact.email is not empty"]
    );
    assert_eq!(
        lines(&guarded(
            "contact.email is empty and contact.email is not empty",
            "case.id"
        )),
        ["W0202@7", "W0203@9"]
    );
    let same_value = format!(
        "  if case.priority == \"urgent\" then {{\n{}  }} else if case.priority == \"urgent\" then {{\n{}  }}\n",
        send(4, "case.id"),
        send(4, "case.id"),
    );
    assert_eq!(lines(&flow("case.updated", &same_value)), ["W0203@11"]);
    let other_value = same_value.replacen("\"urgent\"", "\"high\"", 1);
    assert_eq!(
        lines(&flow("case.updated", &other_value)),
        Vec::<String>::new()
    );
    let narrower = format!(
        "  if case.custom_fields.amount > 5 then {{\n{}  }} else if case.custom_fields.amount > 10 then {{\n{}  }}\n",
        send(4, "case.id"),
        send(4, "case.id"),
    );
    assert_eq!(lines(&flow("case.updated", &narrower)), ["W0203@11"]);
    let exhaustive = format!(
        "  if contact.email is empty then {{\n{}  }} else if contact.email is not empty then {{\n{}  }} else {{\n{}  }}\n",
        send(4, "case.id"),
        send(4, "case.id"),
        send(4, "contact.email"),
    );
    // The dead `else` does not also warn about what it renders.
    assert_eq!(lines(&flow("case.updated", &exhaustive)), ["W0203@13"]);
    // The `else` is reported at its brace, with both conditions that rule it out.
    let found = support::only(&flow("case.updated", &exhaustive));
    assert_eq!(
        found.labelled,
        ["{", "contact.email is empty", "contact.email is not empty"]
    );
    let nested = format!(
        "  if case.tags contains \"VIP\" then {{\n    if case.tags not contains \"VIP\" then {{\n{}    }}\n  }}\n",
        send(6, "case.id"),
    );
    assert_eq!(
        lines(&flow("case.updated", &nested)),
        ["W0202@7", "W0203@10"]
    );
}

#[test]
fn w0204_plain_http_urls() {
    let src = rule(
        "case.closed",
        "  post \"http://legacy.example.com/hooks\" {\n  }\n",
    );
    let found = expect!(
        src,
        "W0204" @ 3:8,
        "url `http://legacy.example.com/hooks` is not encrypted",
        "use `https://` so case data and credentials are encrypted in transit"
    );
    assert_eq!(found.labelled, ["\"http://legacy.example.com/hooks\""]);
}

#[test]
fn w0205_literal_credentials_in_header_values() {
    let header = |value: &str| {
        rule(
            "case.closed",
            &format!("  post \"https://example.com/h\" {{\n    header \"Authorization\" = \"{value}\"\n  }}\n"),
        )
    };
    let found = expect!(
        header("Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        "W0205" @ 4:30,
        "header `Authorization` holds what looks like a credential",
        "declare `secret NAME` in a schema block and write the value as \
         `\"Bearer {{secrets.NAME}}\"`; the runtime reads it from `RULEC_SECRET_NAME`"
    );
    assert_eq!(
        found.labelled,
        ["\"Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc\""]
    );
    for value in [
        "Bearer 0123456789abcdef",
        "token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "xoxb-2615-1234567890",
        "AKIAIOSFODNN7EXAMPLE",
        "sk_test_abcdefgh12345678",
    ] {
        assert_eq!(lines(&header(value)), ["W0205@4"], "{value}");
    }
    for value in ["Bearer short", "application/json", "Basic {{case.id}}"] {
        assert_eq!(check(&header(value)), [], "{value}");
    }
    let with_secret = "  post \"https://example.com/h\" {\n    header \"Authorization\" = \"Bearer {{secrets.TOKEN}}\"\n  }\n";
    assert_eq!(check(&flow("case.closed", with_secret)), []);
}
