//! `rulec explain` through the real binary: why a rule fired or did not.

use std::process::Command;

use serde_json::Value;

fn rulec() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rulec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, _) in std::env::vars() {
        if k.starts_with("RULEC_SECRET_") {
            c.env_remove(k);
        }
    }
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

#[test]
fn it_says_why_a_rule_did_not_fire() {
    let out = rulec()
        .arg("explain")
        .args(RULES)
        .args(["--event", "examples/events/bug_report.json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("trigger `case.updated` does not match event type `case.closed`"));
    assert!(stdout.contains("`case.tags contains \"VIP-Refund\"` is false: case.tags = [\"Bug\"]"));
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("explain_bug_report", stdout);
    });
}

#[test]
fn secrets_are_redacted_even_when_provided() {
    let out = rulec()
        .arg("explain")
        .args([
            "examples/finance.rule",
            "--event",
            "examples/events/vip_refund.json",
        ])
        .env("RULEC_SECRET_FINANCE_TOKEN", "very-secret-token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("very-secret-token"));
    assert!(stdout.contains("Authorization: Bearer ***"));
    assert!(stdout.contains("branch taken: if 1"));
}

#[test]
fn json_lines_one_per_rule_and_event() {
    let out = rulec()
        .arg("explain")
        .args(RULES)
        .args(["--event", "examples/events.jsonl", "--format", "json"])
        .output()
        .unwrap();
    // Two events of the file are rejected on purpose.
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("examples/events.jsonl:13: event rejected"),
        "{stderr}"
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12 * RULES.len());
    let tagged = lines
        .iter()
        .find(|l| l["event_id"] == "evt_06" && l["rule"] == "Route tagged cases")
        .unwrap();
    assert_eq!(tagged["fired"], false);
    assert_eq!(tagged["branch"], Value::Null);
    let second = &tagged["conditions"][1];
    assert_eq!(second["branch"], "else if 2");
    assert_eq!(second["tests"][1]["reads"]["case.priority"], "low");
    assert_eq!(second["tests"][1]["value"], false);
}
