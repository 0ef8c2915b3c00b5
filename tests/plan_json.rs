//! Reading plans back: versions, damage, and what a plan says about its secrets.

use rulec::cli::frontend::analyze;
use rulec::plan::{self, Plan, PlanError};
use rulec::source::SourceMap;
use serde_json::{json, Value};

fn compile(src: &str) -> Plan {
    let mut sources = SourceMap::new();
    sources.add("p.rule", src);
    let fe = analyze(sources);
    assert!(!fe.has_errors(), "{:#?}", fe.diagnostics);
    plan::compile(&fe.sources, &fe.files, &fe.checked.schema)
}

const SRC: &str = r#"
schema { secret A secret B secret UNUSED }
rule "r" {
  when case.created
  if case.subject starts with "x" then {
    post "https://x.example/" { header "Authorization" = "Bearer {{secrets.B}}" }
  } else {
    post "https://y.example/" { sign standard-webhooks with secrets.A body { } }
  }
}
"#;

/// A change to a plan's JSON.
type Edit = Box<dyn Fn(&mut Value)>;

fn with(plan: &Plan, edit: impl FnOnce(&mut Value)) -> Result<Plan, PlanError> {
    let mut v: Value = serde_json::from_str(&plan.to_json()).unwrap();
    edit(&mut v);
    Plan::from_json(&v.to_string())
}

#[test]
fn secret_names_are_the_ones_used_sorted() {
    let p = compile(SRC);
    assert_eq!(p.secret_names(), vec!["A", "B"]);
    assert_eq!(p.declared_secrets, vec!["A", "B", "UNUSED"]);
}

#[test]
fn not_a_plan_or_no_version_is_refused() {
    assert!(matches!(Plan::from_json("hello"), Err(PlanError::Json(_))));
    assert!(matches!(Plan::from_json("{}"), Err(PlanError::Json(_))));
    let p = compile(SRC);
    let err = with(&p, |v| {
        v.as_object_mut().unwrap().remove("version");
    })
    .unwrap_err();
    assert!(err.to_string().contains("no `version` field"), "{err}");
    let err = with(&p, |v| v["version"] = json!(0)).unwrap_err();
    assert!(matches!(
        err,
        PlanError::Version {
            found: 0,
            expected: 1
        }
    ));
}

#[test]
fn indices_outside_the_tables_are_refused() {
    let p = compile(SRC);
    let last = p.code.len() - 1;
    let cases: Vec<Edit> = vec![
        Box::new(|v| v["rules"][0]["entry"] = json!(999)),
        Box::new(|v| v["by_trigger"][0] = json!([7])),
        Box::new(|v| v["actions"][0]["url"] = json!(999)),
        Box::new(move |v| v["code"][last] = json!({"send": {"action": 99}})),
        Box::new(|v| v["locs"] = json!([])),
        Box::new(|v| v["code"][0] = json!({"starts_with": {"slot": 0, "rhs": {"const": 999}}})),
    ];
    for edit in cases {
        let err = with(&p, |v| edit(v)).unwrap_err();
        assert!(matches!(err, PlanError::Invalid(_)), "{err}");
    }
    // Untouched, it reads back equal.
    assert_eq!(with(&p, |_| {}).unwrap(), p);
}
