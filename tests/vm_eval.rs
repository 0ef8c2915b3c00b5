//! The VM on rules written as source text: conditions (empty values), branch paths,
//! action positions and parallel steps.

use rulec::cli::frontend::analyze;
use rulec::plan::{self, Plan};
use rulec::secrets::Secrets;
use rulec::source::SourceMap;
use rulec::vm::effect::{Execution, Step};
use rulec::vm::{decode_event, evaluate};
use serde_json::{json, Value};

fn compile(src: &str) -> Plan {
    let mut sources = SourceMap::new();
    sources.add("test.rule", src);
    let fe = analyze(sources);
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    plan::compile(&fe.sources, &fe.files, &fe.checked.schema)
}

/// A valid `case.updated` event with `patch` merged into `case`.
fn event(kind: &str, case_patch: Value) -> String {
    let mut e = json!({
        "id": "evt_1", "type": kind, "at": "2026-05-10T14:03:00Z",
        "tenant": {"slug": "acme"},
        "case": {"id": "c_1", "human_id": "A-1", "status": "open",
                 "created_at": "2026-05-09T09:00:00Z", "updated_at": "2026-05-10T14:03:00Z",
                 "closed_at": "2026-05-10T14:03:00Z"},
        "contact": {"id": "ct_1"}
    });
    if let (Some(case), Some(patch)) = (e["case"].as_object_mut(), case_patch.as_object()) {
        for (k, v) in patch {
            case.insert(k.clone(), v.clone());
        }
    }
    e.to_string()
}

fn run(plan: &Plan, json: &str) -> Vec<Execution> {
    let e = decode_event(plan, json).unwrap();
    evaluate(plan, &e, &Secrets::default())
}

/// The branch taken by the single rule, or `None` when it sent nothing.
fn branch(plan: &Plan, case_patch: Value) -> Option<String> {
    let out = run(plan, &event("case.updated", case_patch));
    assert!(out.len() <= 1);
    out.first().map(|e| e.branch.clone())
}

fn one_test(cond: &str) -> Plan {
    compile(&format!(
        r#"schema {{ field amount: number field due: timestamp field tier: one of ("free", "pro") }}
        rule "r" {{ when case.updated
          if {cond} then {{ post "https://x.example/a" {{ }} }}
        }}"#
    ))
}

#[test]
fn comparisons_against_an_empty_value_are_false_except_the_negative_ones() {
    let empty_cases = [json!({}), json!({"subject": ""}), json!({"subject": null})];
    for (cond, expected) in [
        ("case.subject == \"x\"", false),
        ("case.subject != \"x\"", true),
        ("case.subject contains \"x\"", false),
        ("case.subject not contains \"x\"", true),
        ("case.subject starts with \"x\"", false),
        ("case.subject ends with \"x\"", false),
        ("case.subject in [\"x\", \"y\"]", false),
        ("case.subject not in [\"x\", \"y\"]", true),
        ("case.subject is empty", true),
        ("case.subject is not empty", false),
    ] {
        let plan = one_test(cond);
        for patch in &empty_cases {
            assert_eq!(
                branch(&plan, patch.clone()).is_some(),
                expected,
                "{cond} with {patch}"
            );
        }
    }
    for (cond, expected) in [
        ("case.custom_fields.amount > 0", false),
        ("case.custom_fields.amount <= 0", false),
        ("case.tags contains \"Bug\"", false),
        ("case.tags not contains \"Bug\"", true),
        ("case.tags is empty", true),
    ] {
        let plan = one_test(cond);
        assert_eq!(
            branch(&plan, json!({"tags": []})).is_some(),
            expected,
            "{cond}"
        );
    }
}

#[test]
fn comparisons_on_present_values() {
    for (cond, patch, expected) in [
        (
            "case.subject == \"Refund\"",
            json!({"subject": "Refund"}),
            true,
        ),
        (
            "case.subject contains \"fun\"",
            json!({"subject": "Refund"}),
            true,
        ),
        (
            "case.subject starts with \"Ref\"",
            json!({"subject": "Refund"}),
            true,
        ),
        (
            "case.subject ends with \"und\"",
            json!({"subject": "Refund"}),
            true,
        ),
        (
            "case.subject ends with \"Ref\"",
            json!({"subject": "Refund"}),
            false,
        ),
        (
            "case.tags contains \"Bug\"",
            json!({"tags": ["Bug", "X"]}),
            true,
        ),
        ("case.tags contains \"Bu\"", json!({"tags": ["Bug"]}), false),
        (
            "case.custom_fields.amount > 100",
            json!({"custom_fields": {"amount": 125.5}}),
            true,
        ),
        (
            "case.custom_fields.amount >= 125.5",
            json!({"custom_fields": {"amount": 125.5}}),
            true,
        ),
        (
            "case.custom_fields.amount < 100",
            json!({"custom_fields": {"amount": 125.5}}),
            false,
        ),
        (
            "case.priority in [\"high\", \"urgent\"]",
            json!({"priority": "urgent"}),
            true,
        ),
        (
            "case.priority not in [\"high\", \"urgent\"]",
            json!({"priority": "low"}),
            true,
        ),
        (
            "case.custom_fields.tier == \"pro\"",
            json!({"custom_fields": {"tier": "pro"}}),
            true,
        ),
        (
            "case.custom_fields.due < \"2026-06-01T00:00:00Z\"",
            json!({"custom_fields": {"due": "2026-05-31T23:00:00-02:00"}}),
            false,
        ),
        (
            "case.custom_fields.due < \"2026-06-01T00:00:00Z\"",
            json!({"custom_fields": {"due": "2026-05-31T23:00:00Z"}}),
            true,
        ),
        ("case.closed_at > case.created_at", json!({}), true),
        ("not case.subject is empty", json!({"subject": "a"}), true),
        (
            "case.subject == \"a\" or case.subject == \"b\"",
            json!({"subject": "b"}),
            true,
        ),
        (
            "case.subject == \"a\" and not (case.priority == \"low\")",
            json!({"subject": "a", "priority": "low"}),
            false,
        ),
    ] {
        let plan = one_test(cond);
        assert_eq!(
            branch(&plan, patch.clone()).is_some(),
            expected,
            "{cond} with {patch}"
        );
    }
}

const CHAIN: &str = r#"
rule "chain" {
  when case.updated
  post "https://always.example/a" { }
  if case.priority == "urgent" then {
    if case.subject is empty then {
      post "https://x.example/nested-if" { }
    } else {
      post "https://x.example/nested-else" { }
    }
  } else if case.priority == "high" then {
    parallel {
      post "https://x.example/p1" { }
      post "https://x.example/p2" { }
    }
    post "https://x.example/after" { }
  } else {
    post "https://x.example/else" { }
  }
}
"#;

fn urls(e: &Execution) -> Vec<(u32, String)> {
    e.requests().map(|r| (r.position, r.url.clone())).collect()
}

#[test]
fn branch_paths_and_positions_follow_the_source() {
    let plan = compile(CHAIN);
    let urgent = run(&plan, &event("case.updated", json!({"priority": "urgent"})));
    assert_eq!(urgent[0].branch, "if 1 > if 1");
    assert_eq!(
        urls(&urgent[0]),
        vec![
            (1, "https://always.example/a".into()),
            (2, "https://x.example/nested-if".into())
        ]
    );
    let titled = run(
        &plan,
        &event(
            "case.updated",
            json!({"priority": "urgent", "subject": "s"}),
        ),
    );
    assert_eq!(titled[0].branch, "if 1 > else");
    assert_eq!(urls(&titled[0])[1].0, 3);

    let high = run(&plan, &event("case.updated", json!({"priority": "high"})));
    assert_eq!(high[0].branch, "else if 2");
    assert!(
        matches!(&high[0].steps[1], Step::Parallel(rs) if rs.len() == 2 && rs[0].position == 4 && rs[1].position == 5)
    );
    assert!(matches!(&high[0].steps[2], Step::One(r) if r.position == 6));

    let other = run(&plan, &event("case.updated", json!({})));
    assert_eq!(other[0].branch, "else");
    assert_eq!(urls(&other[0])[1], (7, "https://x.example/else".into()));
}

#[test]
fn only_rules_of_the_event_trigger_run_and_always_is_the_default_branch() {
    let plan = compile(
        r#"rule "a" { when case.updated post "https://a.example/" { } }
           rule "b" { when case.closed post "https://b.example/" { } }
           rule "c" { when case.updated if case.subject is not empty then { post "https://c.example/" { } } }"#,
    );
    let out = run(&plan, &event("case.updated", json!({})));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule, "a");
    assert_eq!(out[0].branch, "always");
    assert_eq!(out[0].event_id, "evt_1");
    assert_eq!(out[0].case_id, "c_1");
    assert_eq!(out[0].contact_id, "ct_1");
    let closed = run(&plan, &event("case.closed", json!({})));
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].rule, "b");
}

#[test]
fn throttles_timeouts_and_retries_reach_the_execution() {
    let plan = compile(
        r#"rule "t" { when case.updated
             throttle 60 per minute
             throttle per contact 1 per 2 hours
             post "https://a.example/" { timeout 5 seconds retry 3 times }
             post "https://b.example/" { retry never } }"#,
    );
    let out = run(&plan, &event("case.updated", json!({})));
    let t = &out[0].throttles;
    assert_eq!((t[0].key, t[0].limit, t[0].window_secs), (None, 60, 60));
    assert_eq!(t[1].limit, 1);
    assert_eq!(t[1].window_secs, 7200);
    let reqs: Vec<_> = out[0].requests().collect();
    assert_eq!(reqs[0].timeout_secs, 5);
    assert_eq!(reqs[0].retry, rulec::vm::effect::RetryPolicy::Times(3));
    assert_eq!(reqs[1].timeout_secs, 10);
    assert_eq!(reqs[1].retry, rulec::vm::effect::RetryPolicy::Never);
}

#[test]
fn a_plan_survives_json_and_another_version_is_refused() {
    let plan = compile(CHAIN);
    let back = Plan::from_json(&plan.to_json()).unwrap();
    assert_eq!(back, plan);
    let mut value: Value = serde_json::from_str(&plan.to_json()).unwrap();
    value["version"] = json!(99);
    let err = Plan::from_json(&value.to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plan format version 99 is not supported (this rulec reads version 1)"
    );
    // A backward jump could loop forever: refused.
    let mut value: Value = serde_json::from_str(&plan.to_json()).unwrap();
    value["code"][1] = json!({"jump": {"to": 0}});
    assert!(Plan::from_json(&value.to_string()).is_err());
}
