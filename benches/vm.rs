//! VM benchmarks: conditions vs `cel`, body rendering vs `minijinja` and `upon`, HMAC vs
//! bulk SHA-256. Every pair's outputs are checked equal before anything is timed.
//!
//! Run: `cargo bench --bench vm` (figures and goals in docs/benchmarks.md).

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use rulec::cli::frontend::analyze;
use rulec::plan::{self, Plan};
use rulec::secrets::Secrets;
use rulec::sign::{hex, Signer};
use rulec::source::SourceMap;
use rulec::vm::effect::{SignKind, SignSpec};
use rulec::vm::render::Renderer;
use rulec::vm::{decode_event, evaluate, select, Event};
use sha2::Digest;

const SCHEMA: &str = r#"
schema {
  field refund_amount: number
  field order_id: text
  secret FINANCE_TOKEN
}
"#;

/// The recipe's condition.
const CONDITION: &str =
    r#"case.tags contains "VIP-Refund" and case.custom_fields.refund_amount is not empty"#;

/// The recipe's body plus six more tags: 15 merge-tag fields.
const BODY: &str = r#"{
  "atender_case_id": "{{case.id}}",
  "atender_human_id": "{{case.human_id}}",
  "tenant": "{{tenant.slug}}",
  "contact": {
    "id": "{{contact.id}}",
    "email": "{{contact.email ?? ''}}",
    "customer_level": "{{contact.customer_level ?? 'standard'}}"
  },
  "refund_amount": {{case.custom_fields.refund_amount}},
  "closed_at": "{{case.closed_at}}",
  "closed_by": "{{case.assigned_agent.email ?? 'unassigned'}}",
  "subject": "{{case.subject ?? ''}}",
  "priority": "{{case.priority ?? 'normal'}}",
  "status": "{{case.status}}",
  "order_id": "{{case.custom_fields.order_id ?? ''}}",
  "conversation": "{{conversation.url ?? ''}}",
  "tenant_name": "{{tenant.name ?? ''}}"
}"#;

/// The same body for minijinja (JSON auto-escape renders each value as JSON).
const JINJA: &str = r#"{"atender_case_id":{{ case.id }},"atender_human_id":{{ case.human_id }},"tenant":{{ tenant.slug }},"contact":{"id":{{ contact.id }},"email":{{ contact.email or "" }},"customer_level":{{ contact.customer_level or "standard" }}},"refund_amount":{{ case.custom_fields.refund_amount }},"closed_at":{{ case.closed_at }},"closed_by":{{ case.assigned_agent.email or "unassigned" }},"subject":{{ case.subject or "" }},"priority":{{ case.priority or "normal" }},"status":{{ case.status }},"order_id":{{ case.custom_fields.order_id or "" }},"conversation":{{ conversation.url or "" }},"tenant_name":{{ tenant.name or "" }}}"#;

/// The same body for upon, with a JSON formatter (upon has no JSON escaping of its own).
const UPON: &str = r#"{"atender_case_id":{{ case.id | json }},"atender_human_id":{{ case.human_id | json }},"tenant":{{ tenant.slug | json }},"contact":{"id":{{ contact.id | json }},"email":{{ contact.email | json }},"customer_level":{{ contact.customer_level | json }} },"refund_amount":{{ case.custom_fields.refund_amount | json }},"closed_at":{{ case.closed_at | json }},"closed_by":{{ case.assigned_agent.email | json }},"subject":{{ case.subject | json }},"priority":{{ case.priority | json }},"status":{{ case.status | json }},"order_id":{{ case.custom_fields.order_id | json }},"conversation":{{ conversation.url | json }},"tenant_name":{{ tenant.name | json }} }"#;

const EVENT: &str = r#"{"id": "evt_01", "type": "case.closed", "at": "2026-05-10T14:03:00Z",
 "tenant": {"slug": "acme", "name": "Acme Inc"},
 "case": {"id": "c_1042", "human_id": "ACME-1042", "status": "closed", "priority": "high",
          "subject": "Refund for order 77", "tags": ["VIP-Refund"],
          "custom_fields": {"refund_amount": 125.5, "order_id": "77"},
          "created_at": "2026-05-09T09:00:00Z", "updated_at": "2026-05-10T14:03:00Z",
          "closed_at": "2026-05-10T14:03:00Z",
          "assigned_agent": {"id": "ag_7", "email": "sam@acme.example", "name": "Sam"}},
 "contact": {"id": "ct_9", "email": "jo@example.com", "customer_level": "gold"},
 "conversation": {"id": "cv_3", "url": "https://app.atender.example/c/cv_3"}}"#;

const CEL: &str = "'VIP-Refund' in case.tags && has(case.custom_fields.refund_amount)";

/// Rows of the paired summary printed at the end.
static SUMMARY: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Alternates short equal batches of `ours` and `theirs` for a bounded time and records
/// the best batch (time per call) of each: on a shared, busy machine the best of many
/// short batches is the least disturbed estimate, and both sides get the same chances.
fn paired(name: &str, goal: &str, mut ours: impl FnMut(), mut theirs: impl FnMut()) {
    let start = Instant::now();
    let mut batch = 0u32;
    while start.elapsed() < Duration::from_micros(200) {
        ours();
        batch += 1;
    }
    let (mut a, mut b): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && a.len() < 3000 {
        let t = Instant::now();
        for _ in 0..batch {
            ours();
        }
        a.push(t.elapsed().as_nanos() as f64 / f64::from(batch));
        let t = Instant::now();
        for _ in 0..batch {
            theirs();
        }
        b.push(t.elapsed().as_nanos() as f64 / f64::from(batch));
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (a, b) = (best(&a), best(&b));
    let row = format!("| {name} | {a:.0} ns | {b:.0} ns | {:.2} | {goal} |", b / a);
    if let Ok(mut rows) = SUMMARY.lock() {
        rows.push(row);
    }
}

fn compile(src: &str) -> Plan {
    let mut sources = SourceMap::new();
    sources.add("bench.rule", src);
    let fe = analyze(sources);
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    plan::compile(&fe.sources, &fe.files, &fe.checked.schema)
}

fn recipe_plan() -> Plan {
    compile(&format!(
        "{SCHEMA}\nrule \"r\" {{ when case.closed\n if {CONDITION} then {{ post \"https://x.example/\" {{ body {BODY} }} }} }}"
    ))
}

/// The recipe's condition alone (an action without a body): what the condition
/// benchmarks measure. Decoding keeps only what rules read, so this plan decodes less.
fn condition_plan() -> Plan {
    compile(&format!(
        "{SCHEMA}\nrule \"r\" {{ when case.closed\n if {CONDITION} then {{ post \"https://x.example/\" {{ }} }} }}"
    ))
}

/// 1,000 rules on the same trigger; only the first matches the event's tag.
fn thousand_rules_plan() -> Plan {
    let mut src = SCHEMA.to_string();
    for i in 0..1000 {
        let tag = if i == 0 {
            "VIP-Refund".to_string()
        } else {
            format!("T{i}")
        };
        src.push_str(&format!(
            "rule \"r{i}\" {{ when case.closed\n if case.tags contains \"{tag}\" and case.custom_fields.refund_amount is not empty then {{ post \"https://x.example/{i}\" {{ body {BODY} }} }} }}\n"
        ));
    }
    compile(&src)
}

fn cel_context(json: &serde_json::Value) -> cel::Context<'static, 'static> {
    let mut ctx = cel::Context::default();
    ctx.add_variable_from_value("case", cel::to_value(&json["case"]).unwrap());
    ctx
}

fn rulec_matches(plan: &Plan, event: &Event) -> bool {
    !select(plan, 0, event).steps.is_empty()
}

fn conditions(c: &mut Criterion) {
    let plan = condition_plan();
    let recipe = recipe_plan();
    let event = decode_event(&plan, EVENT).unwrap();
    let program = cel::Program::compile(CEL).unwrap();
    let json: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    let ctx = cel_context(&json);
    // Same answers, on this event and on one that does not match.
    let cel_says = |ctx: &cel::Context| program.execute(ctx).unwrap() == cel::Value::Bool(true);
    assert!(rulec_matches(&plan, &event) && cel_says(&ctx));
    let other = EVENT.replace("\"VIP-Refund\"]", "\"Bug\"]");
    let other_json: serde_json::Value = serde_json::from_str(&other).unwrap();
    assert!(!rulec_matches(&plan, &decode_event(&plan, &other).unwrap()));
    assert!(!cel_says(&cel_context(&other_json)));

    let mut g = c.benchmark_group("condition");
    g.bench_function("rulec hot", |b| {
        b.iter(|| rulec_matches(&plan, black_box(&event)))
    });
    g.bench_function("cel hot", |b| {
        b.iter(|| program.execute(black_box(&ctx)).unwrap())
    });
    g.bench_function("rulec per event (decode + evaluate)", |b| {
        b.iter(|| {
            let e = decode_event(&plan, black_box(EVENT)).unwrap();
            rulec_matches(&plan, &e)
        })
    });
    g.bench_function(
        "rulec per event, recipe plan (decode 17 read fields + evaluate)",
        |b| {
            b.iter(|| {
                let e = decode_event(&recipe, black_box(EVENT)).unwrap();
                rulec_matches(&recipe, &e)
            })
        },
    );
    g.bench_function("floor: serde_json parse, values ignored", |b| {
        b.iter(|| serde_json::from_str::<serde::de::IgnoredAny>(black_box(EVENT)).unwrap())
    });
    g.bench_function("cel per event (parse + context + execute)", |b| {
        b.iter(|| {
            let json: serde_json::Value = serde_json::from_str(black_box(EVENT)).unwrap();
            let ctx = cel_context(&json);
            program.execute(&ctx).unwrap()
        })
    });
    g.finish();
    paired(
        "condition, context ready: rulec vs cel",
        "rulec <= 100 ns, ratio >= 4",
        || {
            black_box(rulec_matches(&plan, black_box(&event)));
        },
        || {
            black_box(program.execute(black_box(&ctx)).unwrap());
        },
    );
    paired(
        "condition per event from JSON: rulec vs cel",
        "rulec <= 1 us, ratio >= 8",
        || {
            let e = decode_event(&plan, black_box(EVENT)).unwrap();
            black_box(rulec_matches(&plan, &e));
        },
        || {
            let json: serde_json::Value = serde_json::from_str(black_box(EVENT)).unwrap();
            black_box(program.execute(&cel_context(&json)).unwrap());
        },
    );

    let many = thousand_rules_plan();
    let event = decode_event(&many, EVENT).unwrap();
    let secrets = Secrets::default();
    assert_eq!(evaluate(&many, &event, &secrets).len(), 1);
    c.bench_function("1000 rules x 1 event (evaluate, one renders)", |b| {
        b.iter(|| evaluate(&many, black_box(&event), &secrets))
    });
}

fn upon_json(f: &mut upon::fmt::Formatter<'_>, v: &upon::Value) -> upon::fmt::Result {
    let text = match v {
        upon::Value::None => "null".to_string(),
        upon::Value::Bool(b) => b.to_string(),
        upon::Value::Integer(i) => i.to_string(),
        upon::Value::Float(x) => format!("{x}"),
        upon::Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        _ => return Err("unsupported value".into()),
    };
    std::fmt::Write::write_str(f, &text)?;
    Ok(())
}

fn bodies(c: &mut Criterion) {
    let plan = recipe_plan();
    let event = decode_event(&plan, EVENT).unwrap();
    let secrets = Secrets::default();
    let body_template = plan.actions[0].body.unwrap();
    let render_rulec = |out: &mut String| {
        out.clear();
        let mut r = Renderer {
            plan: &plan,
            event: &event,
            secrets: &secrets,
            scratch: String::new(),
        };
        r.render(body_template, out).unwrap();
    };

    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Json);
    env.add_template("body.json", JINJA).unwrap();
    let jinja = env.get_template("body.json").unwrap();
    // Context ready: the event as a minijinja value, with the RFC 3339 timestamps as given.
    let json: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    let jinja_ctx = to_jinja(&json);

    let mut engine = upon::Engine::new();
    engine.add_formatter("json", upon_json);
    let upon_t = engine.compile(UPON).unwrap();
    let mut upon_json_ctx = json.clone();
    // upon has no `or` default: fill the defaults the way the templates above do.
    upon_json_ctx["contact"]["customer_level"] = "gold".into();
    let upon_ctx = upon::to_value(&upon_json_ctx).unwrap();

    let mut ours = String::new();
    render_rulec(&mut ours);
    let ours_v: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_str(&jinja.render(&jinja_ctx).unwrap()).unwrap();
    let upon_out = upon_t.render_from(&engine, &upon_ctx).to_string().unwrap();
    let upon_v: serde_json::Value = serde_json::from_str(&upon_out).unwrap();
    assert_eq!(ours_v, theirs, "rulec and minijinja render the same body");
    assert_eq!(ours_v, upon_v, "rulec and upon render the same body");

    let mut g = c.benchmark_group("body (15 fields)");
    let mut out = String::with_capacity(512);
    g.bench_function("rulec", |b| b.iter(|| render_rulec(black_box(&mut out))));
    g.bench_function("minijinja", |b| {
        b.iter(|| jinja.render(black_box(&jinja_ctx)).unwrap())
    });
    g.bench_function("upon", |b| {
        b.iter(|| {
            upon_t
                .render_from(&engine, black_box(&upon_ctx))
                .to_string()
                .unwrap()
        })
    });
    g.finish();
    paired(
        "15-field body: rulec vs minijinja",
        "rulec <= 300 ns, ratio >= 8",
        || render_rulec(black_box(&mut out)),
        || {
            black_box(jinja.render(black_box(&jinja_ctx)).unwrap());
        },
    );
    paired(
        "15-field body: rulec vs upon",
        "ratio >= 3",
        || render_rulec(black_box(&mut out)),
        || {
            black_box(
                upon_t
                    .render_from(&engine, black_box(&upon_ctx))
                    .to_string()
                    .unwrap(),
            );
        },
    );
}

/// minijinja is built without its `serde` feature here: convert by hand, once.
fn to_jinja(v: &serde_json::Value) -> minijinja::Value {
    use minijinja::Value;
    match v {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => Value::from(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::from(s.clone()),
        serde_json::Value::Array(items) => {
            Value::from(items.iter().map(to_jinja).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => Value::from(
            map.iter()
                .map(|(k, v)| (k.clone(), to_jinja(v)))
                .collect::<std::collections::BTreeMap<String, Value>>(),
        ),
    }
}

fn signing(c: &mut Criterion) {
    let body: Vec<u8> = (0..1024).map(|i| b'a' + (i % 26) as u8).collect();
    let spec = SignSpec {
        scheme: SignKind::HmacSha256 {
            header: "X-Atender-Signature".into(),
        },
        secret: "KEY".into(),
    };
    let signer = Signer::new(&spec, "a-signing-key-of-some-length").unwrap();
    let mac_hex = signer.hmac_hex(&body);
    assert_eq!(mac_hex.len(), 64);
    assert_eq!(hex(&sha2::Sha256::digest(&body)).len(), 64);
    let mut g = c.benchmark_group("1 KiB body");
    g.bench_function("hmac-sha256 (keyed once)", |b| {
        b.iter(|| signer.hmac_hex(black_box(&body)))
    });
    g.bench_function("sha-256", |b| {
        b.iter(|| hex(&sha2::Sha256::digest(black_box(&body))))
    });
    g.finish();
    // A is the bulk hash here: B / A is HMAC's cost relative to it.
    paired(
        "1 KiB: sha-256 vs hmac-sha256 (keyed once)",
        "B / A <= 1.10",
        || {
            black_box(hex(&sha2::Sha256::digest(black_box(&body))));
        },
        || {
            black_box(signer.hmac_hex(black_box(&body)));
        },
    );
}

fn config() -> Criterion {
    // A shared 2-core machine: short, bounded runs.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = conditions, bodies, signing }

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    println!("\npaired, best of alternating batches of A and B:");
    println!("| comparison (A vs B) | A | B | B / A | goal |\n|---|---|---|---|---|");
    if let Ok(rows) = SUMMARY.lock() {
        for row in rows.iter() {
            println!("{row}");
        }
    }
}
