//! Differential: the VM and the explain interpreter (a plain AST walker) agree on random
//! events for every example rule: same branch, same requests.

use std::path::PathBuf;

use proptest::prelude::*;
use rulec::cli::frontend::{load, Frontend};
use rulec::explain::explain;
use rulec::plan::{self, Plan};
use rulec::secrets::Secrets;
use rulec::vm::{decode_event, evaluate};
use serde_json::{json, Map};

fn examples() -> &'static (Frontend, Plan) {
    static EXAMPLES: std::sync::OnceLock<(Frontend, Plan)> = std::sync::OnceLock::new();
    EXAMPLES.get_or_init(load_examples)
}

fn load_examples() -> (Frontend, Plan) {
    // examples/*.rule only: examples/broken holds mistakes on purpose.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rule"))
        .collect();
    paths.sort();
    let fe = load(&paths).unwrap();
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    let plan = plan::compile(&fe.sources, &fe.files, &fe.checked.schema);
    (fe, plan)
}

fn maybe<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.7, s)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z]{1,8}",
        "\\PC{0,12}",
        Just("a \"quoted\"\n\\ line\u{2028}😀".to_string()),
    ]
}

prop_compose! {
    fn arb_event()(
        kind in prop::sample::select(vec!["case.created", "case.updated", "case.closed", "case.reopened", "case.tagged", "case.assigned"]),
        tag in prop::sample::select(vec!["Billing", "Outage", "Feature-Request", "VIP-Refund", "Bug", "Other"]),
        tags in prop::collection::vec(prop::sample::select(vec!["VIP-Refund", "Bug", "Billing", "Outage", "x"]), 0..3),
        priority in maybe(prop::sample::select(vec!["low", "normal", "high", "urgent", ""])),
        subject in maybe(text()),
        email in maybe(text()),
        level in maybe(text()),
        url in maybe(text()),
        refund in maybe(prop_oneof![(-1e6f64..1e6).boxed(), Just(0.0).boxed(), (0i64..10_000).prop_map(|n| n as f64).boxed()]),
        order_id in maybe(text()),
        tier in maybe(prop::sample::select(vec!["free", "pro", "enterprise"])),
        seats in maybe(0u32..500),
        agent_email in maybe(text()),
    ) -> String {
        let mut custom = Map::new();
        if let Some(r) = refund { custom.insert("refund_amount".into(), json!(r)); }
        if let Some(o) = order_id { custom.insert("order_id".into(), json!(o)); }
        if let Some(t) = tier { custom.insert("plan_tier".into(), json!(t)); }
        if let Some(s) = seats { custom.insert("seats".into(), json!(s)); }
        let mut case = json!({
            "id": "c_1", "human_id": "A-1", "status": "open", "tags": tags,
            "created_at": "2026-05-09T09:00:00Z", "updated_at": "2026-05-10T14:03:00+01:00",
            "closed_at": "2026-05-10T14:03:00Z", "custom_fields": custom,
            "assigned_agent": {"id": "ag", "email": agent_email.clone().filter(|e| !e.is_empty()).unwrap_or_else(|| "a@x".into()), "name": "N"},
        });
        if let Some(p) = priority { case["priority"] = json!(p); }
        if let Some(s) = subject { case["subject"] = json!(s); }
        let mut contact = json!({"id": "ct_1"});
        if let Some(e) = email { contact["email"] = json!(e); }
        if let Some(l) = level { contact["customer_level"] = json!(l); }
        let mut event = json!({
            "id": "evt_p", "type": kind, "at": "2026-05-10T14:03:00Z", "tag": tag,
            "tenant": {"slug": "acme"}, "case": case, "contact": contact,
        });
        if let Some(u) = url { event["conversation"] = json!({"id": "cv", "url": u}); }
        event.to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_vm_and_the_interpreter_agree(json in arb_event()) {
        let (fe, plan) = examples();
        let secrets = Secrets::from_pairs(plan.secret_names().into_iter().map(|n| (n, "s\"ecret")));
        let event = decode_event(plan, &json).unwrap();
        let vm = evaluate(plan, &event, &secrets);
        let reports = explain(&fe.sources, &fe.files, &fe.checked.schema, &event, &secrets);
        let fired: Vec<_> = reports.iter().filter(|r| !r.steps.is_empty()).collect();
        prop_assert_eq!(vm.len(), fired.len());
        for (execution, report) in vm.iter().zip(fired) {
            prop_assert_eq!(&execution.rule, &report.rule);
            prop_assert_eq!(Some(&execution.branch), report.branch.as_ref());
            prop_assert_eq!(&execution.steps, &report.steps);
        }
    }
}

#[test]
fn every_example_rule_fires_on_some_example_event() {
    let (fe, plan) = examples();
    let secrets = Secrets::from_pairs(plan.secret_names().into_iter().map(|n| (n, "x")));
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/events.jsonl"),
    )
    .unwrap();
    let mut branches = std::collections::BTreeSet::new();
    let mut rejected = 0;
    for line in text.lines() {
        let Ok(event) = decode_event(plan, line) else {
            rejected += 1;
            continue;
        };
        for r in explain(&fe.sources, &fe.files, &fe.checked.schema, &event, &secrets) {
            if r.trigger_matched {
                let b = r.branch.unwrap_or_else(|| "none".into());
                let sends = r.steps.len();
                branches.insert(format!("{} / {b} / {sends} step(s)", r.rule));
            }
        }
    }
    assert!(rejected >= 1);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("example_event_branches", branches.into_iter().collect::<Vec<_>>().join("\n"));
    });
}
