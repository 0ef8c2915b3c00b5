//! Templates (spec §6, §10): escaping by construction, typed tags, URLs, headers.

use proptest::prelude::*;
use rulec::cli::frontend::analyze;
use rulec::plan::{self, Plan};
use rulec::secrets::Secrets;
use rulec::source::SourceMap;
use rulec::vm::effect::Request;
use rulec::vm::{decode_event, evaluate};
use serde_json::{json, Value};

fn compile(src: &str) -> Plan {
    let mut sources = SourceMap::new();
    sources.add("t.rule", src);
    let fe = analyze(sources);
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    plan::compile(&fe.sources, &fe.files, &fe.checked.schema)
}

const RULE: &str = r##"
schema {
  field amount: number
  field labels: list of text
  field vip: bool
  field note: text
  secret TOKEN
}
rule "render" {
  when case.updated
  post "https://x.example/cases/{{case.id}}/notes?s={{case.subject ?? 'none'}}" {
    header "Authorization" = "Bearer {{secrets.TOKEN}}"
    header "X-Subject" = "{{case.subject ?? ''}}"
    body {
      "text": "{{case.subject}}",
      "mixed": "#{{case.human_id}}: {{case.custom_fields.amount}} {{case.custom_fields.labels}} {{case.custom_fields.vip}}",
      "amount": {{case.custom_fields.amount}},
      "labels": {{case.custom_fields.labels}},
      "vip": {{case.custom_fields.vip}},
      "note": {{case.custom_fields.note}},
      "fallback": {{case.custom_fields.amount ?? 0}},
      "at": {{event.at}},
      "nested": [1, true, null, {"k\"ey": "lit\n"}]
    }
  }
}
"##;

fn event(subject: Value, custom: Value) -> String {
    json!({
        "id": "evt_9", "type": "case.updated", "at": "2026-05-10T16:03:00+02:00",
        "tenant": {"slug": "acme"},
        "case": {"id": "c/1 2", "human_id": "A-1", "status": "open", "subject": subject,
                 "custom_fields": custom,
                 "created_at": "2026-05-09T09:00:00Z", "updated_at": "2026-05-10T14:03:00Z"},
        "contact": {"id": "ct_1"}
    })
    .to_string()
}

fn render(plan: &Plan, json: &str) -> Request {
    let e = decode_event(plan, json).unwrap();
    let secrets = Secrets::from_pairs([("TOKEN", "tok")]);
    let out = evaluate(plan, &e, &secrets);
    let request = out[0].requests().next().unwrap().clone();
    request
}

#[test]
fn a_full_render() {
    let plan = compile(RULE);
    let r = render(
        &plan,
        &event(
            json!("Say \"hi\"\n"),
            json!({"amount": 125.0, "labels": ["a", "b"], "vip": false, "note": ""}),
        ),
    );
    assert_eq!(
        r.url,
        "https://x.example/cases/c%2F1%202/notes?s=Say%20%22hi%22%0A"
    );
    assert_eq!(
        r.error.as_deref().map(|e| e.contains("line break")),
        Some(true)
    );
    // The header held a newline, so nothing was built.
    assert!(r.body.is_none());

    let r = render(
        &plan,
        &event(
            json!("Say \"hi\" \\ ok"),
            json!({"amount": 125.0, "labels": ["a", "b"], "vip": false, "note": ""}),
        ),
    );
    assert_eq!(r.error, None);
    assert_eq!(
        r.body.as_deref().unwrap(),
        r##"{"text":"Say \"hi\" \\ ok","mixed":"#A-1: 125 [\"a\",\"b\"] false","amount":125,"labels":["a","b"],"vip":false,"note":"","fallback":125,"at":"2026-05-10T14:03:00Z","nested":[1,true,null,{"k\"ey":"lit\n"}]}"##
    );
    assert_eq!(
        r.headers,
        vec![
            ("Authorization".to_string(), "Bearer tok".to_string()),
            ("X-Subject".to_string(), "Say \"hi\" \\ ok".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "Idempotency-Key".to_string(),
                rulec::vm::effect::idempotency_key("render", "evt_9", 1)
            ),
        ]
    );
}

#[test]
fn absent_values_render_null_or_nothing_and_fallbacks_apply() {
    let plan = compile(RULE);
    let r = render(&plan, &event(Value::Null, json!({})));
    assert_eq!(r.url, "https://x.example/cases/c%2F1%202/notes?s=none");
    let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["text"], json!(""));
    assert_eq!(body["mixed"], json!("#A-1:   "));
    assert_eq!(body["amount"], Value::Null);
    assert_eq!(body["labels"], Value::Null);
    assert_eq!(body["note"], Value::Null);
    assert_eq!(body["fallback"], json!(0));
    let r = render(
        &plan,
        &event(json!(""), json!({"labels": [], "amount": 0.1})),
    );
    let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["labels"], json!([]));
    assert_eq!(body["amount"], json!(0.1));
}

#[test]
fn a_header_can_set_the_content_type_and_no_body_means_none() {
    let plan = compile(
        r#"rule "ct" { when case.updated
             post "https://x.example/" { header "content-type" = "application/vnd.x+json" body { } }
             delete "https://x.example/{{case.id}}" { } }"#,
    );
    let e = decode_event(&plan, &event(json!("s"), json!({}))).unwrap();
    let out = evaluate(&plan, &e, &Secrets::default());
    let reqs: Vec<_> = out[0].requests().collect();
    assert_eq!(
        reqs[0].headers[0],
        ("content-type".into(), "application/vnd.x+json".into())
    );
    assert!(!reqs[0].headers.iter().any(|(n, _)| n == "Content-Type"));
    assert_eq!(reqs[0].body.as_deref(), Some("{}"));
    assert_eq!(reqs[1].body, None);
    assert_eq!(reqs[1].headers.len(), 1);
    assert_eq!(reqs[1].headers[0].0, "Idempotency-Key");
    assert_eq!(reqs[1].method.as_str(), "DELETE");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text (quotes, backslashes, control characters, U+2028, emoji) renders into a
    /// body that parses back to the same value, in a string and as a bare tag.
    #[test]
    fn any_text_round_trips_through_a_body(
        subject in prop_oneof![
            "\\PC*",
            proptest::collection::vec(prop_oneof![
                Just('"'), Just('\\'), Just('\n'), Just('\u{0}'), Just('\u{1f}'), Just('\u{7f}'),
                Just('\u{2028}'), Just('\u{2029}'), Just('😀'), Just('é'), Just('/'), Just('{'),
                any::<char>(),
            ], 0..40).prop_map(|cs| cs.into_iter().collect::<String>()),
        ],
        note in "\\PC*",
    ) {
        let plan = compile(
            r#"schema { field note: text }
               rule "p" { when case.updated
                 post "https://x.example/{{case.subject}}" {
                   body { "s": "<{{case.subject}}>", "n": {{case.custom_fields.note}}, "l": ["{{case.subject}}"] } } }"#,
        );
        let e = decode_event(&plan, &event(json!(subject), json!({"note": note}))).unwrap();
        let out = evaluate(&plan, &e, &Secrets::default());
        let r = out[0].requests().next().unwrap();
        let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        prop_assert_eq!(&body["s"], &json!(format!("<{subject}>")));
        prop_assert_eq!(&body["n"], &json!(note));
        prop_assert_eq!(&body["l"][0], &json!(subject));
        // URL tags leave only unreserved characters and `%XX`.
        let tail = &r.url["https://x.example/".len()..];
        prop_assert!(tail.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    }
}

#[test]
fn a_header_with_a_control_character_fails_the_action_before_anything_is_built() {
    let plan = compile(RULE);
    let r = render(
        &plan,
        &event(json!("bell \u{7} here"), json!({"amount": 1.0})),
    );
    assert_eq!(
        r.error.as_deref().map(|e| e.contains("control character")),
        Some(true),
        "{r:?}"
    );
    assert!(r.body.is_none());
}

#[test]
fn numbers_render_in_shortest_round_trip_form() {
    let plan = compile(RULE);
    for (amount, expected) in [
        (json!(1e300), "1e300"),
        (json!(125.0), "125"),
        (json!(1e15), "1000000000000000"),
        (json!(0.1), "0.1"),
        (json!(1.5e-7), "1.5e-7"),
        (json!(-2.25), "-2.25"),
    ] {
        let r = render(&plan, &event(json!("s"), json!({ "amount": amount })));
        let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        let text = r.body.unwrap();
        assert!(
            text.contains(&format!("\"amount\":{expected},")),
            "{amount} rendered as: {text}"
        );
        assert_eq!(body["amount"].as_f64(), amount.as_f64());
    }
}
