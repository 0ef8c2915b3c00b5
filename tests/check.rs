//! The checker's errors (E01xx), one or more tests per code: code, line, column, message
//! and help, from source text through the real parser.

#[path = "check/support.rs"]
mod support;

use support::{check, check_files, codes, rule, with_schema};

/// A minimal action around a body, for tests about paths in bodies.
fn post(body: &str) -> String {
    format!("  post \"https://example.com/h\" {{\n    body {{ {body} }}\n  }}\n")
}

#[test]
fn e0101_unknown_path_suggests_the_closest_name() {
    let src = rule("case.closed", &post(r#""s": "{{case.subjet}}""#));
    let found = expect!(
        src,
        "E0101" @ 4:20,
        "unknown path `case.subjet`",
        "did you mean `case.subject`?"
    );
    assert_eq!(found.labelled, ["case.subjet"]);
}

#[test]
fn e0101_suggests_custom_fields_by_full_path() {
    let body = "  if case.custom_fields.refund_amont > 0 then {\n".to_string()
        + &post(r#""a": 1"#)
        + "  }\n";
    let src = with_schema("  field refund_amount: number\n", "case.closed", &body);
    expect!(
        src,
        "E0101" @ 6:6,
        "unknown path `case.custom_fields.refund_amont`",
        "did you mean `case.custom_fields.refund_amount`?"
    );
    // Forgetting the `custom_fields.` segment is common enough to get its own hint.
    let src = with_schema(
        "  field refund_amount: number\n",
        "case.closed",
        &post(r#""a": {{case.refund_amount ?? 0}}"#),
    );
    expect!(
        src,
        "E0101" @ 7:19,
        "unknown path `case.refund_amount`",
        "did you mean `case.custom_fields.refund_amount`?"
    );
}

#[test]
fn e0101_without_a_close_name_explains_the_path_roots() {
    let src = rule("case.closed", &post(r#""s": "{{ticket.number}}""#));
    expect!(
        src,
        "E0101" @ 4:20,
        "unknown path `ticket.number`",
        "paths start with `event.`, `tenant.`, `case.`, `contact.` or `conversation.`; \
         custom fields are read as `case.custom_fields.NAME`"
    );
    let src = rule("case.closed", &post(r#""s": "{{case.custom_fields.zzz}}""#));
    expect!(
        src,
        "E0101" @ 4:20,
        "unknown path `case.custom_fields.zzz`",
        "declare the field in a schema block: `schema { field zzz: text }`"
    );
}

#[test]
fn e0102_event_tag_exists_only_under_case_tagged() {
    let src = rule("case.updated", &post(r#""t": "{{event.tag}}""#));
    let found = expect!(
        src,
        "E0102" @ 4:20,
        "`event.tag` does not exist under `when case.updated`",
        "`event.tag` exists only under `when case.tagged`: use that trigger, or read another path"
    );
    assert_eq!(found.labelled, ["event.tag"]);
    assert!(check(&rule("case.tagged", &post(r#""t": "{{event.tag}}""#))).is_empty());
}

#[test]
fn e0103_tags_compared_with_equals_suggests_contains() {
    let body = "  if case.tags == \"Bug\" then {\n".to_string() + &post(r#""a": 1"#) + "  }\n";
    let src = with_schema("  tags \"Bug\"\n", "case.closed", &body);
    let found = expect!(
        src,
        "E0103" @ 6:6,
        "`==` cannot compare `case.tags` (list of text) with text",
        "use `contains` to test membership: `case.tags contains \"Bug\"`"
    );
    assert_eq!(found.labelled, ["case.tags == \"Bug\""]);
    let body = "  if case.tags != \"Bug\" then {\n".to_string() + &post(r#""a": 1"#) + "  }\n";
    let src = with_schema("  tags \"Bug\"\n", "case.closed", &body);
    let found = support::only(&src);
    assert_eq!(
        found.help,
        "use `not contains` to test membership: `case.tags not contains \"Bug\"`"
    );
}

/// An `if COND then { post }` rule under `case.closed`, with a schema.
fn cond_rule(schema: &str, cond: &str) -> String {
    let body = format!("  if {cond} then {{\n") + &post(r#""a": 1"#) + "  }\n";
    with_schema(schema, "case.closed", &body)
}

const AMOUNT: &str = "  field amount: number\n";

#[test]
fn e0103_names_both_types_and_the_operator_that_fits() {
    let cases: [(&str, &str, &str); 7] = [
        (
            "case.subject > 5",
            "`>` cannot compare `case.subject` (text) with number",
            "`>` compares numbers and timestamps; compare text with `==`, `in [...]` or `starts with`",
        ),
        (
            "case.custom_fields.amount == \"5\"",
            "`==` cannot compare `case.custom_fields.amount` (number) with text",
            "compare numbers with a number, without quotes: `case.custom_fields.amount == 100`",
        ),
        (
            "case.created_at < \"yesterday\"",
            "`<` cannot compare `case.created_at` (timestamp) with text",
            "compare with an RFC 3339 timestamp or a timestamp path: `case.created_at < \"2026-05-10T14:03:00Z\"`",
        ),
        (
            "case.tags in [\"A\", \"B\"]",
            "`in` cannot compare `case.tags` (list of text) with a list of text",
            "use `contains` to test membership: `case.tags contains \"A\"`",
        ),
        (
            "case.custom_fields.amount contains \"5\"",
            "`contains` cannot compare `case.custom_fields.amount` (number) with text",
            "compare numbers with a number, without quotes: `case.custom_fields.amount == 100`",
        ),
        (
            "case.subject == 5",
            "`==` cannot compare `case.subject` (text) with number",
            "compare text with a string in double quotes: `case.subject == \"...\"`",
        ),
        (
            "case.created_at == case.subject",
            "`==` cannot compare `case.created_at` (timestamp) with text",
            "compare `case.created_at` with a timestamp value",
        ),
    ];
    for (cond, message, help) in cases {
        let found = support::only(&cond_rule(AMOUNT, cond));
        assert_eq!(
            (found.code.as_str(), found.line, found.column),
            ("E0103", 6, 6),
            "{cond}"
        );
        assert_eq!(
            (found.message.as_str(), found.help.as_str()),
            (message, help),
            "{cond}"
        );
    }
}

#[test]
fn well_typed_comparisons_are_accepted() {
    let schema =
        "  field amount: number\n  field vip: bool\n  field tier: one of (\"free\", \"pro\")\n";
    for cond in [
        "case.custom_fields.amount >= 10.5",
        "case.custom_fields.vip == true",
        "case.custom_fields.tier in [\"free\", \"pro\"]",
        "case.status != \"open\"",
        "case.subject contains \"refund\"",
        "case.subject starts with \"Re:\"",
        "contact.email ends with \"@example.com\"",
        "case.closed_at > \"2026-01-01T00:00:00Z\"",
        "case.closed_at > case.created_at",
        "case.subject == contact.name",
        "case.priority == case.custom_fields.tier",
        "case.tags contains contact.customer_level",
        "not (case.subject is empty) or case.tags is not empty",
    ] {
        assert_eq!(check(&cond_rule(schema, cond)), [], "{cond}");
    }
}

#[test]
fn e0103_sign_needs_a_secret() {
    let body = "  post \"https://example.com/h\" {\n    sign hmac-sha256 with case.id\n  }\n";
    let src = rule("case.closed", body);
    let found = expect!(
        src,
        "E0103" @ 4:27,
        "`sign` needs a secret, found `case.id`",
        "declare `secret NAME` in a schema block and write `sign ... with secrets.NAME`"
    );
    assert_eq!(found.labelled, ["case.id"]);
}

#[test]
fn e0104_a_literal_outside_a_one_of_type_never_matches() {
    let found = support::only(&cond_rule("", "case.status == \"Closed\""));
    assert_eq!(
        (found.code.as_str(), found.line, found.column),
        ("E0104", 5, 21)
    );
    assert_eq!(
        found.message,
        "`\"Closed\"` is not a possible value of `case.status`"
    );
    assert_eq!(
        found.help,
        "did you mean `\"closed\"`? `case.status` is one of \"open\", \"pending\", \"solved\", \"closed\""
    );
    let schema = "  field tier: one of (\"free\", \"pro\")\n";
    let found = support::only(&cond_rule(
        schema,
        "case.custom_fields.tier in [\"pro\", \"gold\"]",
    ));
    assert_eq!((found.code.as_str(), found.column), ("E0104", 41));
    assert_eq!(
        found.help,
        "`case.custom_fields.tier` is one of \"free\", \"pro\""
    );
}

#[test]
fn e0105_undeclared_secret_suggests_a_declared_one_and_the_declaration() {
    let body = "  post \"https://example.com/h\" {\n    header \"Authorization\" = \"Bearer {{secrets.CRM_TOKN}}\"\n  }\n";
    let src = with_schema("  secret CRM_TOKEN\n", "case.created", body);
    let found = expect!(
        src,
        "E0105" @ 7:40,
        "secret `CRM_TOKN` is not declared",
        "did you mean `secrets.CRM_TOKEN`? otherwise declare it in a schema block: `secret CRM_TOKN`"
    );
    assert_eq!(found.labelled, ["secrets.CRM_TOKN"]);
    let body =
        "  post \"https://example.com/h\" {\n    sign standard-webhooks with secrets.KEY\n  }\n";
    expect!(
        rule("case.created", body),
        "E0105" @ 4:33,
        "secret `KEY` is not declared",
        "declare it in a schema block: `secret KEY`"
    );
}

#[test]
fn e0106_secrets_only_in_header_values_and_sign() {
    let help =
        "send it in a header instead: `header \"Authorization\" = \"Bearer {{secrets.T}}\"`, \
                so it never lands in logs, urls or payloads";
    let src = with_schema(
        "  secret T\n",
        "case.closed",
        &post(r#""t": "{{secrets.T}}""#),
    );
    expect!(src, "E0106" @ 7:20, "secret `T` cannot be used in a body", help);
    let url = "  post \"https://example.com/h?key={{secrets.T}}\" {\n  }\n";
    let src = with_schema("  secret T\n", "case.closed", url);
    expect!(src, "E0106" @ 6:37, "secret `T` cannot be used in a url", help);
    let src = cond_rule("  secret T\n", "secrets.T is not empty");
    expect!(src, "E0106" @ 6:6, "secret `T` cannot be used in a condition", help);
}

#[test]
fn e0107_undeclared_tags_against_case_tags_and_event_tag() {
    let schema = "  tags \"VIP-Refund\", \"Bug\"\n";
    let found = support::only(&cond_rule(schema, "case.tags contains \"VIP-Refnud\""));
    assert_eq!(
        (
            found.code.as_str(),
            found.line,
            found.column,
            found.message.as_str()
        ),
        ("E0107", 6, 25, "tag `\"VIP-Refnud\"` is not declared")
    );
    assert_eq!(
        found.help,
        "did you mean `\"VIP-Refund\"`? otherwise declare it in a schema block: `tags \"VIP-Refnud\"`"
    );
    let body = "  if event.tag in [\"Bug\", \"Outage\"] then {\n".to_string()
        + &post(r#""a": 1"#)
        + "  }\n";
    let found = support::only(&with_schema(schema, "case.tagged", &body));
    assert_eq!((found.code.as_str(), found.column), ("E0107", 27));
    assert_eq!(
        found.help,
        "declared tags are \"VIP-Refund\", \"Bug\"; declare it in a schema block: `tags \"Outage\"`"
    );
    // Without any declared tag, tags are not checked; substrings are not tags.
    assert_eq!(check(&cond_rule("", "case.tags contains \"Anything\"")), []);
    assert_eq!(
        check(&cond_rule(schema, "case.subject contains \"Refnud\"")),
        []
    );
}

#[test]
fn e0108_duplicate_rule_names_point_at_both_definitions() {
    let a = rule("case.closed", &post(r#""a": 1"#));
    let b = rule("case.reopened", &post(r#""a": 1"#));
    let found = check_files(&[("a.rule", &a), ("b.rule", &b)]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(
        (d.code.as_str(), d.file.as_str(), d.line, d.column),
        ("E0108", "b.rule", 1, 6)
    );
    assert_eq!(d.message, "rule `r` is defined more than once");
    assert_eq!(
        d.help,
        "rename one of the rules: rule names are unique across all files, and the run log tells executions apart by them"
    );
    assert_eq!(d.labelled, ["\"r\"", "\"r\""]);
}

#[test]
fn e0109_duplicate_keys_in_one_body_object() {
    let src = rule(
        "case.closed",
        &post(r#""case": "{{case.id}}", "n": { "case": 1 }, "case": 2"#),
    );
    let found = expect!(
        src,
        "E0109" @ 4:55,
        "key `\"case\"` appears twice in one object",
        "remove one of them: receivers keep only one value for a key"
    );
    assert_eq!(found.labelled, ["\"case\"", "\"case\""]);
}

#[test]
fn e0110_urls_need_a_literal_scheme_and_host() {
    let action = |url: &str| rule("case.closed", &format!("  post \"{url}\" {{\n  }}\n"));
    expect!(
        action("ftp://example.com/x"),
        "E0110" @ 3:8,
        "url `ftp://example.com/x` does not start with `https://` or `http://`",
        "write the scheme and host literally: `\"https://api.example.com/...\"`"
    );
    expect!(
        action("https://{{tenant.slug}}.example.com/x"),
        "E0110" @ 3:8,
        "url `https://{{tenant.slug}}.example.com/x` has a merge tag in its host",
        "the scheme and host must be literal; put merge tags after the first `/`: \
         `\"https://api.example.com/cases/{{case.id}}\"`"
    );
    expect!(
        action("https:///x"),
        "E0110" @ 3:8,
        "url `https:///x` has no valid host",
        "write a host name after the scheme: `\"https://api.example.com/...\"`"
    );
    expect!(
        action("example.com/{{case.id}}"),
        "E0110" @ 3:8,
        "url `example.com/{{case.id}}` does not start with `https://` or `http://`",
        "write the scheme and host literally: `\"https://api.example.com/...\"`"
    );
    assert_eq!(
        check(&action("https://api.example.com:8443/a/{{case.id}}?x=1")),
        []
    );
}

#[test]
fn e0111_zero_or_absurd_rates_timeouts_and_retries() {
    let throttled = |line: &str| {
        format!(
            "rule \"r\" {{\n  when case.closed\n  {line}\n  post \"https://example.com/h\" {{\n  }}\n}}\n"
        )
    };
    expect!(
        throttled("throttle 0 per minute"),
        "E0111" @ 3:12,
        "rate `0 per minute` allows nothing",
        "use a count of at least 1, e.g. `1 per minute`, or remove the throttle"
    );
    expect!(
        throttled("throttle per case 1 per 0 minutes"),
        "E0111" @ 3:27,
        "duration `0 minutes` is zero",
        "use a window of at least 1, e.g. `1 per 60 minutes`"
    );
    expect!(
        throttled("throttle per case 1 per 90 days"),
        "E0111" @ 3:27,
        "window `90 days` is longer than 30 days",
        "use a window of at most 30 days; the run store keeps throttle history that long"
    );
    expect!(
        throttled("throttle 5000000 per second"),
        "E0111" @ 3:12,
        "rate `5000000 per second` allows more than 1000000 executions",
        "use a count of at most 1000000, or remove the throttle"
    );
    let clause = |line: &str| {
        rule(
            "case.closed",
            &format!("  post \"https://example.com/h\" {{\n    {line}\n  }}\n"),
        )
    };
    let timeout_help = "use a timeout from 1 to 300 seconds, e.g. `timeout 10 seconds`";
    expect!(clause("timeout 0 seconds"), "E0111" @ 4:13, "timeout `0 seconds` is zero", timeout_help);
    expect!(
        clause("timeout 10 minutes"),
        "E0111" @ 4:13,
        "timeout `10 minutes` is longer than 300 seconds",
        timeout_help
    );
    let retry_help = "use `retry never` for one attempt, or `retry N times` with N from 1 to 50";
    expect!(clause("retry 0 times"), "E0111" @ 4:5, "`retry 0 times` makes no attempt at all", retry_help);
    expect!(
        clause("retry 1000 times"),
        "E0111" @ 4:5,
        "`retry 1000 times` is more than 50 attempts",
        retry_help
    );
    assert_eq!(check(&clause("timeout 300 seconds")), []);
    assert_eq!(check(&clause("retry 1 time")), []);
}

#[test]
fn e0112_unknown_trigger_suggests_the_closest_event() {
    let src = rule("case.close", &post(r#""a": "{{case.closed_at}}""#));
    let found = expect!(
        src,
        "E0112" @ 2:8,
        "unknown trigger `case.close`",
        "did you mean `case.closed`? the triggers are `case.created`, `case.updated`, \
         `case.closed`, `case.reopened`, `case.tagged`, `case.assigned`"
    );
    assert_eq!(found.labelled, ["case.close"]);
}

#[test]
fn e0113_a_custom_field_declared_with_two_types_labels_both() {
    let one = "schema {\n  field order_id: text\n}\n";
    let two = "schema {\n  field order_id: number\n}\n";
    let found = check_files(&[("a.rule", one), ("b.rule", two)]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(
        (d.code.as_str(), d.file.as_str(), d.line, d.column),
        ("E0113", "b.rule", 2, 3)
    );
    assert_eq!(
        d.message,
        "custom field `order_id` is declared as text and as number"
    );
    assert_eq!(
        d.help,
        "give `order_id` one type in every schema block, or rename one of the fields"
    );
    assert_eq!(
        d.labelled,
        ["field order_id: number", "field order_id: text"]
    );
    // A `one of` listing a value twice.
    let twice = "schema {\n  field tier: one of (\"a\", \"b\", \"a\")\n}\n";
    let found = support::only(twice);
    assert_eq!(
        (
            found.code.as_str(),
            found.line,
            found.column,
            found.message.as_str()
        ),
        ("E0113", 2, 33, "value `\"a\"` is listed twice")
    );
    assert_eq!(found.help, "list each value of a `one of` type once");
    // The same type twice, and tags and secrets repeated, are fine.
    let same = "schema {\n  field order_id: text\n  tags \"A\"\n  secret S\n}\n";
    assert_eq!(check_files(&[("a.rule", same), ("b.rule", same)]), []);
}

#[test]
fn e0114_fallbacks_must_match_the_path_type() {
    let src = with_schema(
        AMOUNT,
        "case.closed",
        &post(r#""a": {{case.custom_fields.amount ?? 'none'}}"#),
    );
    expect!(
        src,
        "E0114" @ 7:48,
        "fallback `'none'` is text but `case.custom_fields.amount` is number",
        "use a literal of the path's type: `{{case.custom_fields.amount ?? 0}}`"
    );
    let src = rule("case.closed", &post(r#""tags": {{case.tags ?? ''}}"#));
    expect!(
        src,
        "E0114" @ 4:35,
        "`case.tags` is a list and has no fallback literal",
        "write `{{case.tags}}` and guard the action with `if case.tags is not empty then { ... }`"
    );
    let ok = post(r#""a": "{{case.closed_at ?? ''}}", "b": "{{case.priority ?? 'normal'}}""#);
    assert_eq!(check(&rule("case.updated", &ok)), []);
}

#[test]
fn one_mistake_reports_one_error() {
    // The unknown path is not also a type error, and proves nothing, so no warning follows.
    let src = cond_rule("", "case.subjet == 5");
    assert_eq!(codes(&src), ["E0101@5:6"]);
    // A guard with a typo proves nothing, but the path it meant to guard is not also
    // reported as "may render empty".
    let body = "  if contact.emial is not empty then {\n".to_string()
        + &post(r#""e": "{{contact.email}}""#)
        + "  } else {\n"
        + &post(r#""e": "{{contact.email}}""#)
        + "  }\n";
    assert_eq!(codes(&rule("case.closed", &body)), ["E0101@3:6"]);
    // An unknown trigger does not make trigger-dependent paths warn.
    let src = rule("case.close", &post(r#""a": "{{case.closed_at}}""#));
    assert_eq!(codes(&src), ["E0112@2:8"]);
}

#[test]
fn diagnostics_are_sorted_by_file_then_position() {
    let src = rule(
        "case.closed",
        &post(r#""z": "{{case.zzz}}", "a": "{{secrets.A}}", "e": "{{contact.email}}""#),
    );
    assert_eq!(codes(&src), ["E0101@4:20", "E0106@4:41", "W0201@4:61"]);
}

#[test]
fn e0115_header_names_must_be_http_tokens() {
    let header = |line: &str| {
        rule(
            "case.closed",
            &format!("  post \"https://example.com/h\" {{\n    {line}\n  }}\n"),
        )
    };
    let help = "header names use letters, digits and `-` (no spaces, colons or quotes), e.g. `X-Request-Source`";
    expect!(
        header(r#"header "X Bad:Name" = "v""#),
        "E0115" @ 4:12,
        "`X Bad:Name` is not a valid header name",
        help
    );
    let signed = with_schema(
        "  secret KEY\n",
        "case.closed",
        "  post \"https://example.com/h\" {\n    sign hmac-sha256 with secrets.KEY header \"X Sig\"\n  }\n",
    );
    expect!(
        signed,
        "E0115" @ 7:46,
        "`X Sig` is not a valid header name",
        help
    );
    assert!(codes(&header(r#"header "X-Request-Source" = "v""#)).is_empty());
}
