//! Event decoding (spec §8, §10): required fields, custom field types, timestamps.

use rulec::plan::{self, Plan};
use rulec::source::SourceMap;
use rulec::vm::{decode_event, EventError, Value};

/// The custom fields of every type, and a rule that reads the slots the tests look at
/// (decoding keeps only what some rule reads).
const RULES: &str = r#"
schema {
  field refund_amount: number
  field order_id: text
  field vip: bool
  field tier: one of ("free", "pro")
  field due: timestamp
  field labels: list of text
}
rule "reads" {
  when case.closed
  post "https://x.example/" {
    body {
      "a": {{case.custom_fields.refund_amount}}, "b": {{case.custom_fields.order_id}},
      "c": {{case.custom_fields.vip}}, "d": {{case.tags}}, "e": {{case.closed_at}},
      "f": {{contact.phone}}
    }
  }
}
"#;

fn plan() -> Plan {
    let mut sources = SourceMap::new();
    sources.add("t.rule", RULES);
    let fe = rulec::cli::frontend::analyze(sources);
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    plan::compile(&fe.sources, &fe.files, &fe.checked.schema)
}

const RECIPE: &str = r#"{"id": "evt_01", "type": "case.closed", "at": "2026-05-10T14:03:00Z",
 "tenant": {"slug": "acme", "name": "Acme Inc"},
 "case": {"id": "c_1042", "human_id": "ACME-1042", "status": "closed", "priority": "high",
          "subject": "Refund for order 77", "tags": ["VIP-Refund"],
          "custom_fields": {"refund_amount": 125.5, "order_id": "77", "unknown": {"x": [1]}},
          "created_at": "2026-05-09T09:00:00Z", "updated_at": "2026-05-10T14:03:00Z",
          "closed_at": "2026-05-10T16:03:00+02:00",
          "assigned_agent": {"id": "ag_7", "email": "sam@acme.example", "name": "Sam"}},
 "contact": {"id": "ct_9", "email": "jo@example.com", "customer_level": "gold"},
 "conversation": {"id": "cv_3", "url": "https://app.atender.example/c/cv_3"},
 "extra": {"ignored": true}}"#;

fn slot(path: &str) -> u16 {
    plan().schema().resolve(path).unwrap().slot.0
}

fn with(field_json: &str, replace: &str) -> String {
    RECIPE.replacen(field_json, replace, 1)
}

#[test]
fn the_recipe_event_decodes_into_slots() {
    let p = plan();
    let e = decode_event(&p, RECIPE).unwrap();
    assert_eq!(e.id(), "evt_01");
    assert_eq!(e.case_id(), "c_1042");
    assert_eq!(e.contact_id(), "ct_9");
    assert_eq!(e.trigger().as_str(), "case.closed");
    assert_eq!(
        e.value(slot("case.custom_fields.refund_amount")),
        &Value::Number(125.5)
    );
    assert_eq!(
        e.value(slot("case.tags")),
        &Value::List(vec!["VIP-Refund".into()])
    );
    // Timestamps are rendered RFC 3339 UTC with `Z`.
    match e.value(slot("case.closed_at")) {
        Value::Time(t) => assert_eq!(t.text, "2026-05-10T14:03:00Z"),
        other => panic!("not a timestamp: {other:?}"),
    }
    assert_eq!(e.value(slot("contact.phone")), &Value::Missing);
}

#[test]
fn fields_no_rule_reads_are_validated_but_not_kept() {
    let p = plan();
    let e = decode_event(&p, RECIPE).unwrap();
    // `case.subject` is in the event but no rule reads it.
    assert_eq!(e.value(slot("case.subject")), &Value::Missing);
    // It is still type-checked, and required fields are still required.
    let e = error(&with("\"Refund for order 77\"", "17"));
    assert_eq!(e.field(), Some("case.subject"));
    let e = error(&with("\"human_id\": \"ACME-1042\"", "\"human_id\": \"\""));
    assert_eq!(e.field(), Some("case.human_id"));
}

fn error(json: &str) -> EventError {
    decode_event(&plan(), json).unwrap_err()
}

#[test]
fn a_number_field_holding_text_rejects_naming_the_field() {
    let e = error(&with("125.5", "\"abc\""));
    assert_eq!(e.field(), Some("case.custom_fields.refund_amount"));
    assert_eq!(
        e.to_string(),
        "field `case.custom_fields.refund_amount` must be a number, found `\"abc\"`"
    );
}

#[test]
fn custom_fields_must_match_their_types() {
    let cases = [
        (
            "\"order_id\": \"77\"",
            "\"order_id\": 77",
            "case.custom_fields.order_id",
        ),
        (
            "\"order_id\": \"77\"",
            "\"vip\": \"yes\"",
            "case.custom_fields.vip",
        ),
        (
            "\"order_id\": \"77\"",
            "\"tier\": \"gold\"",
            "case.custom_fields.tier",
        ),
        (
            "\"order_id\": \"77\"",
            "\"due\": \"tomorrow\"",
            "case.custom_fields.due",
        ),
        (
            "\"order_id\": \"77\"",
            "\"labels\": [1]",
            "case.custom_fields.labels",
        ),
    ];
    for (from, to, field) in cases {
        let e = error(&with(from, to));
        assert_eq!(e.field(), Some(field), "{to}: {e}");
    }
    // Declared types accept their values, and `null` is absent.
    let ok = with(
        "\"order_id\": \"77\"",
        "\"vip\": true, \"tier\": \"pro\", \"due\": \"2026-01-01T00:00:00.5Z\", \"labels\": [\"a\"], \"order_id\": null",
    );
    let e = decode_event(&plan(), &ok).unwrap();
    assert_eq!(
        e.value(slot("case.custom_fields.order_id")),
        &Value::Missing
    );
    assert_eq!(e.value(slot("case.custom_fields.vip")), &Value::Bool(true));
}

#[test]
fn required_fields_reject_when_missing_blank_or_null() {
    for (from, to, field) in [
        ("\"id\": \"evt_01\", ", "", "id"),
        ("\"slug\": \"acme\"", "\"slug\": \"\"", "tenant.slug"),
        (
            "\"human_id\": \"ACME-1042\"",
            "\"human_id\": null",
            "case.human_id",
        ),
        (
            "\"closed_at\": \"2026-05-10T16:03:00+02:00\",",
            "",
            "case.closed_at",
        ),
        (
            "\"contact\": {\"id\": \"ct_9\", ",
            "\"contact\": {",
            "contact.id",
        ),
    ] {
        let e = error(&with(from, to));
        assert_eq!(e.field(), Some(field), "{e}");
        assert!(matches!(e, EventError::Missing { .. }), "{e}");
    }
}

#[test]
fn trigger_specific_fields_are_required_only_under_their_trigger() {
    // `closed_at` is optional for other triggers.
    let updated = with("case.closed", "case.updated").replacen(
        "\"closed_at\": \"2026-05-10T16:03:00+02:00\",",
        "",
        1,
    );
    assert!(decode_event(&plan(), &updated).is_ok());
    // `tag` is required under case.tagged.
    let tagged = with("case.closed", "case.tagged");
    assert_eq!(error(&tagged).field(), Some("tag"));
    let tagged = tagged.replacen("\"extra\"", "\"tag\": \"Bug\", \"extra\"", 1);
    assert!(decode_event(&plan(), &tagged).is_ok());
    // The assigned agent is required under case.assigned.
    let assigned = with("case.closed", "case.assigned").replacen(
        "\"assigned_agent\": {\"id\": \"ag_7\", \"email\": \"sam@acme.example\", \"name\": \"Sam\"}",
        "\"assigned_agent\": null",
        1,
    );
    assert_eq!(error(&assigned).field(), Some("case.assigned_agent.id"));
}

#[test]
fn unknown_types_and_bad_json_reject() {
    let e = error(&with("case.closed", "case.merged"));
    assert!(matches!(e, EventError::UnknownType { .. }));
    assert!(e.to_string().contains("`case.merged`"));
    assert!(matches!(error("{not json"), EventError::Json(_)));
    assert!(matches!(error("[1, 2]"), EventError::Json(_)));
    assert!(matches!(
        error(&format!("{RECIPE} trailing")),
        EventError::Json(_)
    ));
    let e = error(&with("\"high\"", "\"sky-high\""));
    assert_eq!(e.field(), Some("case.priority"));
    let e = error(&with(
        "\"tenant\": {\"slug\": \"acme\", \"name\": \"Acme Inc\"}",
        "\"tenant\": \"acme\"",
    ));
    assert!(e.to_string().contains("`tenant`"), "{e}");
}

mod timestamps {
    use chrono::{DateTime, SecondsFormat};
    use proptest::prelude::*;
    use rulec::vm::parse_stamp;

    proptest! {
        /// The fast path for `...Z` agrees with chrono on every second from year 1 to 9999.
        #[test]
        fn utc_seconds_agree_with_chrono(secs in -62_135_596_800i64..253_402_300_799) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let text = t.to_rfc3339_opts(SecondsFormat::Secs, true);
            let stamp = parse_stamp(&text).unwrap();
            prop_assert_eq!(stamp.nanos, secs.saturating_mul(1_000_000_000));
            prop_assert_eq!(stamp.text, text);
        }
    }

    #[test]
    fn offsets_fractions_and_bad_dates() {
        let s = parse_stamp("2026-05-10T16:03:00.250+02:00").unwrap();
        assert_eq!(s.text, "2026-05-10T14:03:00.250Z");
        assert_eq!(
            parse_stamp("2026-05-10T14:03:00.000Z").unwrap().text,
            "2026-05-10T14:03:00Z"
        );
        assert!(parse_stamp("2026-02-29T00:00:00Z").is_none());
        assert!(parse_stamp("2024-02-29T00:00:00Z").is_some());
        assert!(parse_stamp("2026-13-01T00:00:00Z").is_none());
        assert!(parse_stamp("2026-05-10T24:00:00Z").is_none());
        assert!(parse_stamp("yesterday").is_none());
    }
}
