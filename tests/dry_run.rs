//! `rulec run --dry-run` through the real binary: JSON lines, redaction, real
//! signatures, rejected events, missing secrets, exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

const SIGNING_KEY: &str = "k3y-for-finance";
const PARTNER: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rulec() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rulec"));
    c.current_dir(root());
    for (k, _) in std::env::vars() {
        if k.starts_with("RULEC_SECRET_") {
            c.env_remove(k);
        }
    }
    c
}

fn with_secrets(mut c: Command) -> Command {
    for name in [
        "FINANCE_TOKEN",
        "STATUS_TOKEN",
        "SALES_TOKEN",
        "ERP_TOKEN",
        "CRM_TOKEN",
        "TRACKER_TOKEN",
    ] {
        c.env(format!("RULEC_SECRET_{name}"), format!("tok-{name}-value"));
    }
    c.env("RULEC_SECRET_FINANCE_SIGNING_KEY", SIGNING_KEY);
    c.env("RULEC_SECRET_PARTNER_WEBHOOK_SECRET", PARTNER);
    c
}

const RULES: [&str; 6] = [
    "examples/by_tag.rule",
    "examples/custom_field_gate.rule",
    "examples/finance.rule",
    "examples/multi_target.rule",
    "examples/signed.rule",
    "examples/transcript_link.rule",
];

fn dry_run(extra: &[&str]) -> Output {
    let mut c = with_secrets(rulec());
    c.args(["run", "--dry-run"]).args(RULES).args(extra);
    c.output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn header<'a>(line: &'a Value, name: &str) -> Option<&'a str> {
    line["headers"][name].as_str()
}

#[test]
fn every_request_is_one_json_line_with_rejections_on_stderr() {
    let out = dry_run(&["--events", "examples/events.jsonl"]);
    assert_eq!(out.status.code(), Some(3), "rejected events give exit 3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("examples/events.jsonl:13: event rejected: field `case.custom_fields.refund_amount` must be a number, found `\"abc\"`"), "{stderr}");
    assert!(stderr.contains("examples/events.jsonl:14:"), "{stderr}");
    assert!(stderr.contains("`case.closed_at`"), "{stderr}");

    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with(r#"{"rule":"VIP refund to finance","event_id":"evt_01","action":1,"method":"POST","url":"https://api.your-finance-system.com/refunds","headers":{"Authorization":"Bearer ***""#), "{first}");
    assert!(!stdout.contains("tok-"), "secret values never printed");
    let all = lines(&out);
    assert_eq!(all.len(), 14);
    for l in &all {
        let keys: Vec<&String> = l.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7);
        assert!(
            l["body"].is_null()
                || serde_json::from_str::<Value>(l["body"].as_str().unwrap()).is_ok()
        );
        assert!(header(l, "Idempotency-Key").unwrap().starts_with("msg_"));
    }
    // The parallel children of multi_target are numbered 2 and 3.
    let positions: Vec<i64> = all
        .iter()
        .filter(|l| {
            l["rule"] == "Closed order case to ERP, CRM and warehouse" && l["event_id"] == "evt_01"
        })
        .map(|l| l["action"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, vec![1, 2, 3]);
}

#[test]
fn signatures_are_real() {
    let out = dry_run(&["--events", "examples/events.jsonl"]);
    let all = lines(&out);
    let finance = all
        .iter()
        .find(|l| l["rule"] == "VIP refund to finance" && l["event_id"] == "evt_01")
        .unwrap();
    let body = finance["body"].as_str().unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SIGNING_KEY.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        header(finance, "X-Atender-Signature"),
        Some(expected.as_str())
    );

    let signed = all
        .iter()
        .find(|l| l["rule"] == "New cases to partner, signed")
        .unwrap();
    let mut headers = HeaderMap::new();
    for (k, v) in signed["headers"].as_object().unwrap() {
        headers.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v.as_str().unwrap()).unwrap(),
        );
    }
    assert_eq!(
        header(signed, "webhook-id"),
        header(signed, "Idempotency-Key")
    );
    let wh = standardwebhooks::Webhook::new(PARTNER).unwrap();
    wh.verify(signed["body"].as_str().unwrap().as_bytes(), &headers)
        .unwrap();
}

#[test]
fn a_missing_secret_stops_before_anything_is_printed() {
    let mut c = rulec();
    c.args([
        "run",
        "--dry-run",
        "examples/finance.rule",
        "--events",
        "examples/events.jsonl",
    ]);
    c.env("RULEC_SECRET_FINANCE_TOKEN", "x");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`FINANCE_SIGNING_KEY`"), "{stderr}");
}

#[test]
fn the_secrets_file_wins_and_stdin_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    std::fs::write(
        &secrets,
        "# finance\nFINANCE_TOKEN=from-file\nFINANCE_SIGNING_KEY=k\n",
    )
    .unwrap();
    let mut c = rulec();
    c.args([
        "run",
        "--dry-run",
        "examples/finance.rule",
        "--events",
        "-",
        "--secrets",
    ])
    .arg(&secrets)
    .env("RULEC_SECRET_FINANCE_TOKEN", "from-env")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let events = std::fs::read_to_string(root().join("examples/events.jsonl")).unwrap();
    let mut input = String::from("\n");
    input.push_str(&events);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 14: event rejected"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("from-file") && !stdout.contains("from-env"));
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn all_good_events_exit_zero_and_a_header_with_a_newline_fails_the_action() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("h.rule");
    std::fs::write(
        &rule,
        r#"rule "h" { when case.updated
             post "https://x.example/{{case.subject}}" { header "X-Subject" = "{{case.subject ?? ''}}" } }"#,
    )
    .unwrap();
    let good = r#"{"id":"e1","type":"case.updated","at":"2026-05-10T14:03:00Z","tenant":{"slug":"a"},"case":{"id":"c","human_id":"h","status":"open","subject":"a/b c","created_at":"2026-05-10T14:03:00Z","updated_at":"2026-05-10T14:03:00Z"},"contact":{"id":"ct"}}"#;
    let events = dir.path().join("e.jsonl");
    std::fs::write(&events, format!("{good}\n")).unwrap();
    let out = rulec()
        .args(["run", "--dry-run"])
        .arg(&rule)
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let l = &lines(&out)[0];
    assert_eq!(l["url"], "https://x.example/a%2Fb%20c");
    assert_eq!(l["body"], Value::Null);
    assert!(l["headers"].get("Content-Type").is_none());

    let bad = good.replace("a/b c", "line\\nbreak");
    std::fs::write(&events, format!("{bad}\n")).unwrap();
    let out = rulec()
        .args(["run", "--dry-run"])
        .arg(&rule)
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("header `X-Subject` holds a line break"),
        "{stderr}"
    );
}

#[test]
fn a_compiled_plan_runs_and_a_plan_of_another_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let out = rulec()
        .arg("compile")
        .args(RULES)
        .arg("-o")
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c = with_secrets(rulec());
    let from_plan = c
        .args([
            "run",
            "--dry-run",
            "--events",
            "examples/events.jsonl",
            "--plan",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    let from_rules = dry_run(&["--events", "examples/events.jsonl"]);
    assert_eq!(from_plan.status.code(), Some(3));
    // Same requests (signature timestamps aside).
    let strip = |o: &Output| -> Vec<Value> {
        lines(o)
            .into_iter()
            .map(|mut l| {
                l["headers"]
                    .as_object_mut()
                    .unwrap()
                    .retain(|k, _| !k.starts_with("webhook-"));
                l
            })
            .collect()
    };
    assert_eq!(strip(&from_plan), strip(&from_rules));

    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    json["version"] = Value::from(2);
    std::fs::write(&plan, json.to_string()).unwrap();
    let out = with_secrets(rulec())
        .args([
            "run",
            "--dry-run",
            "--events",
            "examples/events.jsonl",
            "--plan",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // miette wraps long messages: compare words.
    let stderr: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap()
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    let stderr = stderr.join(" ");
    assert!(
        stderr.contains("plan format version 2 is not supported (this rulec reads version 1)"),
        "{stderr}"
    );
}
