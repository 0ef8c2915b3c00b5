//! The fast path against the serde walk: on generated events and on mangled ones, the
//! decoder gives exactly what the serde walk alone gives, and the fast path takes the
//! usual events (so the comparison is not won by always handing over).

use super::{decode_event, decode_with_serde, scan, State};
use crate::plan::Plan;
use crate::schema::{Availability, Trigger, BUILTINS};
use crate::source::SourceMap;
use crate::vm::Value;

const SCHEMA: &str = r#"
schema {
  field refund_amount: number
  field order_id: text
  field vip: bool
  field tier: one of ("free", "pro")
  field due: timestamp
  field labels: list of text
}
"#;

const CUSTOM: [&str; 6] = ["refund_amount", "order_id", "vip", "tier", "due", "labels"];

fn compile(rule: &str) -> Plan {
    let mut sources = SourceMap::new();
    sources.add("t.rule", format!("{SCHEMA}{rule}"));
    let fe = crate::cli::frontend::analyze(sources);
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    crate::plan::compile(&fe.sources, &fe.files, &fe.checked.schema)
}

/// A rule that reads every slot: every leaf is kept.
fn reads_all() -> Plan {
    let mut body = Vec::new();
    let builtins = BUILTINS.iter().filter(|b| match b.availability {
        Availability::Always => true,
        Availability::OnlyUnder(t) => t == Trigger::Tagged,
    });
    for (i, b) in builtins.enumerate() {
        body.push(format!("\"b{i}\": {{{{{}}}}}", b.name));
    }
    for (i, f) in CUSTOM.iter().enumerate() {
        body.push(format!("\"c{i}\": {{{{case.custom_fields.{f}}}}}"));
    }
    compile(&format!(
        "rule \"all\" {{ when case.tagged\n post \"https://x.example/\" {{ body {{ {} }} }} }}",
        body.join(", ")
    ))
}

/// The benchmark's rule: two slots kept, the rest only checked.
fn reads_few() -> Plan {
    compile(
        r#"rule "few" { when case.closed
  if case.tags contains "VIP-Refund" and case.custom_fields.refund_amount is not empty then {
    post "https://x.example/" { }
  } }"#,
    )
}

/// Seeded, so a failure names the seed that reproduces it.
struct Rng(fastrand::Rng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.usize(..n)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.0.u64(..100) < percent
    }
}

/// Values of the usual types, plain.
const USUAL: &[&str] = &[
    r#""c_1042""#,
    r#""Refund for order 77""#,
    r#""2026-05-10T14:03:00Z""#,
    r#""closed""#,
    r#""high""#,
    r#""pro""#,
    r#"["VIP-Refund"]"#,
    r#"["a", "b", "VIP-Refund"]"#,
    "125.5",
    "7",
    "true",
    "null",
    r#""""#,
    "[]",
    r#""héllo ✓ 😀""#,
];

/// Trouble: escapes, `\u` and lone surrogates, control characters, numbers the fast path
/// leaves to serde_json, wrong types, and invalid JSON.
const TROUBLE: &[&str] = &[
    r#""say \"hi\"""#,
    r#""line\nbreak\t\/""#,
    r#""\u00e9t\u00e9""#,
    r#""\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\ude00\ud83d""#,
    r#""\ud83d\u0041""#,
    r#""tab\there""#,
    r#""\uZZZZ""#,
    r#""\x""#,
    "\"raw\u{1}control\"",
    r#""2026-05-10T16:03:00.250+02:00""#,
    r#""2026-13-01T00:00:00Z""#,
    r#""case.clos\u0065d""#,
    r#""sky-high""#,
    r#""free""#,
    "-0",
    "0",
    "-5",
    "1e3",
    "1.5E-3",
    "1E+400",
    "12345678901234567890",
    "0.1",
    "01",
    "1.",
    "-",
    ".5",
    "false",
    "nul",
    "tru",
    r#"["x", 1]"#,
    r#"["a\"b"]"#,
    r#"["\u0041"]"#,
    r#"["ok", "\ud800"]"#,
    "[[]]",
    "[1,]",
    "{}",
    r#"{"x": [1, {"y": null}]}"#,
    r#"{"a": 1,}"#,
    r#"{"a" 1}"#,
    "\"unterminated",
];

const UNKNOWN: &[&str] = &[
    r#"{"deep": [1, 2.5e10, "s\"\u1234", {"k": [true, false, null]}]}"#,
    r#"[{"a": []}, {}]"#,
    r#""ignored \\ \" text""#,
    "-12.75e+3",
    "null",
];

/// Unknown values that are not JSON: only the checks on skipped values stand between
/// them and an accepted event.
const UNKNOWN_BAD: &[&str] = &[
    r#"{"a": 1,}"#,
    "[1,]",
    "[1 2]",
    r#"{"a" 1}"#,
    "{1: 2}",
    "01",
    "1.",
    "1e",
    "-",
    "+1",
    r#""\x""#,
    r#""\u12""#,
    "\"raw\u{1f}control\"",
    "nul",
    "[",
];

const SPACE: &[&str] = &["", " ", "\n  ", "\t", "\r\n"];

/// One event's JSON text: every known key of the tree (and the custom fields) with a
/// value from the pools, unknown keys, duplicates and odd whitespace now and then.
fn event(rng: &mut Rng, trouble: u64) -> String {
    let mut out = String::new();
    object(rng, &super::TREE, trouble, &mut out);
    out
}

fn object(rng: &mut Rng, node: &super::Node, trouble: u64, out: &mut String) {
    let mut members = Vec::new();
    for (key, child) in &node.children {
        if rng.chance(1) {
            continue;
        }
        let mut value = String::new();
        match child {
            super::Child::Object(inner) => object(rng, inner, trouble, &mut value),
            super::Child::CustomFields => custom_fields(rng, trouble, &mut value),
            super::Child::Leaf(slot, _) => {
                value.push_str(&leaf(rng, BUILTINS[*slot as usize].name, trouble))
            }
        }
        if rng.chance(2) {
            // A repeated key: the last value counts, in both walks.
            let earlier = if rng.chance(50) {
                &value
            } else {
                rng.pick(USUAL)
            };
            members.push(format!("\"{key}\": {earlier}"));
        }
        members.push(format!("\"{key}\":{}{value}", rng.pick(SPACE)));
    }
    if rng.chance(30) {
        members.push(format!("\"x_unknown\": {}", unknown(rng, trouble)));
    }
    if rng.chance(trouble / 4) {
        // An escaped key: `type` at the root, unknown below it.
        members.push(r#""typ\u0065": "case.closed""#.to_string());
    }
    let space = rng.pick(SPACE);
    out.push('{');
    out.push_str(&members.join(&format!(",{space}")));
    if rng.chance(trouble / 4) {
        out.push(',');
    }
    out.push('}');
}

fn custom_fields(rng: &mut Rng, trouble: u64, out: &mut String) {
    let mut members = Vec::new();
    for name in CUSTOM {
        if rng.chance(20) {
            continue;
        }
        let value = leaf(rng, name, trouble);
        members.push(format!("\"{name}\": {value}"));
    }
    if rng.chance(30) {
        members.push(format!("\"other\": {}", unknown(rng, trouble)));
    }
    out.push_str(&format!("{{{}}}", members.join(", ")));
}

fn unknown(rng: &mut Rng, trouble: u64) -> &'static str {
    if rng.chance(trouble * 2) {
        rng.pick(UNKNOWN_BAD)
    } else {
        rng.pick(UNKNOWN)
    }
}

/// A leaf that fits its path (a built-in or a custom field's name) most of the time, so
/// that events get through, anything from the pools otherwise.
fn leaf(rng: &mut Rng, path: &str, trouble: u64) -> String {
    if rng.chance(trouble) {
        return rng.pick(TROUBLE).to_string();
    }
    let fitting = match path {
        "event.type" => r#""case.closed""#,
        "event.at" | "case.created_at" | "case.updated_at" | "case.closed_at" | "due" => {
            r#""2026-05-10T14:03:00Z""#
        }
        "case.status" => r#""closed""#,
        "case.priority" => r#""high""#,
        "case.tags" | "labels" => r#"["VIP-Refund", "b"]"#,
        "refund_amount" => "125.5",
        "vip" => "true",
        "tier" => r#""pro""#,
        _ => r#""some text""#,
    };
    if rng.chance(99) {
        fitting.to_string()
    } else {
        rng.pick(USUAL).to_string()
    }
}

/// Byte-level damage at character boundaries: deletions, insertions of structural and
/// escape characters, truncation.
fn mangle(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(3) {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len());
        match rng.below(4) {
            0 => {
                chars.remove(at);
            }
            1 | 2 => {
                let insert = [
                    '"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', 'e', '\u{1}',
                ];
                chars.insert(at, insert[rng.below(insert.len())]);
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

/// What [`compare`] counted: events the serde walk accepted, and how many of those the
/// fast path took.
struct Counts {
    accepted: usize,
    accepted_fast: usize,
}

/// Runs `count` seeds through both paths.
fn compare(plan: &Plan, count: u64, make: impl Fn(&mut Rng) -> String) -> Counts {
    let (mut accepted, mut accepted_fast) = (0, 0);
    for seed in 1..=count {
        let json = make(&mut Rng::new(seed));
        let by_serde = decode_with_serde(plan, &json);
        assert_eq!(
            decode_event(plan, &json),
            by_serde,
            "seed {seed}, event {json}"
        );
        if let Some(state) = scan::decode(State::new(plan), &json) {
            assert_eq!(state.finish(), by_serde, "seed {seed}, event {json}");
            accepted_fast += usize::from(by_serde.is_ok());
        }
        accepted += usize::from(by_serde.is_ok());
    }
    Counts {
        accepted,
        accepted_fast,
    }
}

#[test]
fn both_walks_agree_on_generated_events_and_the_fast_path_takes_the_usual_ones() {
    for plan in [reads_all(), reads_few()] {
        let counts = compare(&plan, 3000, |rng| event(rng, 0));
        assert!(
            counts.accepted > 1500,
            "only {} of 3000 clean events accepted",
            counts.accepted
        );
        // Every clean event that is accepted at all is the fast path's.
        assert_eq!(counts.accepted_fast, counts.accepted);
    }
}

#[test]
fn both_walks_agree_on_troubled_events() {
    for plan in [reads_all(), reads_few()] {
        let counts = compare(&plan, 4000, |rng| event(rng, 8));
        // Some trouble is only in places the fast path reads exactly (an escaped unread
        // text, unknown fields), so some troubled events are still its own.
        assert!(
            counts.accepted > 100 && counts.accepted_fast > 50,
            "{} accepted, {} of them by the fast path",
            counts.accepted,
            counts.accepted_fast
        );
    }
}

#[test]
fn both_walks_agree_on_mangled_events() {
    for plan in [reads_all(), reads_few()] {
        compare(&plan, 4000, |rng| {
            let text = event(rng, 0);
            mangle(rng, &text)
        });
    }
}

/// An accepted event with a placeholder in each kind of place: leaves of each type, and
/// unknown fields at three depths.
const BASE: &str = r#"{"id": "e", "type": "case.tagged", "tag": "t", "x_root": ROOT,
  "at": "2026-05-10T14:03:00Z", "tenant": {"slug": "s"},
  "case": {"id": "c", "human_id": "h", "status": STATUS, "created_at": CREATED,
    "updated_at": "2026-05-10T14:03:00Z", "subject": SUBJECT, "tags": TAGS, "x_case": CASE_X,
    "custom_fields": {"refund_amount": AMOUNT, "vip": VIP, "labels": LABELS, "x": CUSTOM_X}},
  "contact": {"id": "ct"}}"#;

const PLACES: [(&str, &str); 10] = [
    ("ROOT", "1"),
    ("STATUS", r#""open""#),
    ("CREATED", r#""2026-05-10T14:03:00Z""#),
    ("SUBJECT", r#""s""#),
    ("TAGS", r#"["a"]"#),
    ("CASE_X", "null"),
    ("AMOUNT", "1"),
    ("VIP", "true"),
    ("LABELS", "[]"),
    ("CUSTOM_X", "{}"),
];

/// [`BASE`] with `value` at `place` and the usual values elsewhere.
fn fill(place: &str, value: &str) -> String {
    let mut json = BASE.to_string();
    for (name, usual) in PLACES {
        json = json.replace(name, if name == place { value } else { usual });
    }
    json
}

#[test]
fn every_pool_value_in_every_place_decodes_as_the_serde_walk_decodes_it() {
    let values = [USUAL, TROUBLE, UNKNOWN, UNKNOWN_BAD].concat();
    let mut accepted = 0;
    for plan in [reads_all(), reads_few()] {
        assert!(decode_event(&plan, &fill("", "")).is_ok());
        for (place, _) in PLACES {
            for value in &values {
                let json = fill(place, value);
                let by_serde = decode_with_serde(&plan, &json);
                assert_eq!(decode_event(&plan, &json), by_serde, "{place} = {value}");
                // The fast path reads every one of these events that is accepted.
                if by_serde.is_ok() {
                    let fast = scan::decode(State::new(&plan), &json);
                    assert!(fast.is_some(), "{place} = {value}");
                    accepted += 1;
                }
            }
        }
    }
    assert!(accepted > 200, "{accepted}");
}

#[test]
fn escapes_decode_as_serde_json_decodes_them_and_lone_surrogates_are_left_to_it() {
    let plan = reads_all();
    let subject = BUILTINS.iter().position(|b| b.name == "case.subject");
    let subject = subject.expect("case.subject is a built-in") as u16;
    let cases = [
        (r#""plain""#, Some("plain")),
        (r#""say \"hi\"""#, Some("say \"hi\"")),
        (
            r#""caf\u00e9 \ud83d\ude00 \/ \\ \b\f\n\r\t""#,
            Some("café 😀 / \\ \u{8}\u{c}\n\r\t"),
        ),
        (r#""\ud800""#, None),
        (r#""\ude00\ud83d""#, None),
        (r#""\ud83d\u0041""#, None),
        (r#""\ud83d""#, None),
        (r#""\udfff x""#, None),
        (r#""\ud83dzzdc00""#, None),
    ];
    for (text, expected) in cases {
        let json = fill("SUBJECT", text);
        let by_serde = decode_with_serde(&plan, &json);
        assert_eq!(decode_event(&plan, &json), by_serde, "{text}");
        let decoded = by_serde.ok().map(|e| e.value(subject).clone());
        assert_eq!(
            decoded,
            expected.map(|s| Value::Text(s.to_string())),
            "{text}"
        );
        // The fast path takes exactly the strings serde_json can read.
        let fast = scan::decode(State::new(&plan), &json).is_some();
        assert_eq!(fast, expected.is_some(), "{text}");
    }
    // List items too, read or not: `case.tags` is kept by both plans, `labels` only by
    // the first.
    for plan in [reads_all(), reads_few()] {
        for (items, ok) in [
            (r#"["a\"b", "\u00e9"]"#, true),
            (r#"["ok", "\ud800"]"#, false),
        ] {
            for json in [fill("TAGS", items), fill("LABELS", items)] {
                let by_serde = decode_with_serde(&plan, &json);
                assert_eq!(by_serde.is_ok(), ok, "{json}");
                assert_eq!(decode_event(&plan, &json), by_serde);
                assert_eq!(scan::decode(State::new(&plan), &json).is_some(), ok);
            }
        }
    }
    // An escaped key is left to serde_json, which unescapes it.
    let json = fill("SUBJECT", r#""x""#).replace("\"subject\"", r#""subj\u0065ct""#);
    assert!(scan::decode(State::new(&plan), &json).is_none());
    let event = decode_event(&plan, &json).expect("accepted");
    assert_eq!(event.value(subject), &Value::Text("x".to_string()));
}

#[test]
fn deep_nesting_in_unknown_fields_is_left_to_serde_json_without_recursing() {
    // serde_json skips unknown values without recursion, so this event is accepted; the
    // fast path must hand it over before its own recursion gets deep.
    let plan = reads_few();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let json = format!(
        r#"{{"id": "e", "type": "case.closed", "at": "2026-05-10T14:03:00Z", "x": {deep},
        "tenant": {{"slug": "s"}}, "case": {{"id": "c", "human_id": "h", "status": "open",
        "created_at": "2026-05-10T14:03:00Z", "updated_at": "2026-05-10T14:03:00Z",
        "closed_at": "2026-05-10T14:03:00Z"}}, "contact": {{"id": "ct"}}}}"#
    );
    assert!(scan::decode(State::new(&plan), &json).is_none());
    assert!(decode_event(&plan, &json).is_ok());
}
