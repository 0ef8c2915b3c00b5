//! Explanations as text for people and as JSON lines for tools. Secret values are
//! redacted in both.

use std::fmt::Write;

use serde_json::json;

use super::RuleReport;
use crate::secrets::Secrets;
use crate::vm::effect::{Request, SignKind, Step};
use crate::vm::Event;

/// The explanation of one event, for people.
pub fn human(event: &Event, reports: &[RuleReport], secrets: &Secrets) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "event `{}` ({}), case `{}`",
        event.id(),
        event.trigger().as_str(),
        event.case_id()
    );
    for r in reports {
        out.push('\n');
        let _ = writeln!(out, "rule {:?}  ({})", r.rule, r.location);
        if !r.trigger_matched {
            if let Some(reason) = &r.reason {
                let _ = writeln!(out, "  not evaluated: {reason}");
            }
            continue;
        }
        let _ = writeln!(out, "  trigger `{}` matches", r.trigger);
        for c in &r.conditions {
            let head = format!("  {} (line {}): ", c.branch, c.line);
            match c.tests.as_slice() {
                [only] if only.text == c.text => {
                    let _ = writeln!(out, "{head}{}", show_test(only));
                }
                tests => {
                    let _ = writeln!(out, "{head}`{}` is {}", c.text, c.value);
                    for t in tests {
                        let _ = writeln!(out, "    {}", show_test(t));
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "  branch taken: {}",
            r.branch.as_deref().unwrap_or("none")
        );
        match &r.reason {
            Some(reason) => {
                let _ = writeln!(out, "  sends nothing: {reason}");
            }
            None => {
                let _ = writeln!(out, "  would send:");
                for step in &r.steps {
                    write_step(step, secrets, &mut out);
                }
            }
        }
    }
    out
}

/// `` `case.tags contains "Bug"` is false: case.tags = ["Billing"] ``
fn show_test(t: &super::TestReport) -> String {
    let reads: Vec<String> = t.reads.iter().map(|(p, v)| format!("{p} = {v}")).collect();
    format!("`{}` is {}: {}", t.text, t.value, reads.join(", "))
}

fn write_step(step: &Step, secrets: &Secrets, out: &mut String) {
    match step {
        Step::One(r) => write_request(r, secrets, "    ", out),
        Step::Parallel(rs) => {
            let _ = writeln!(out, "    in parallel:");
            for r in rs {
                write_request(r, secrets, "      ", out);
            }
        }
    }
}

fn write_request(r: &Request, secrets: &Secrets, indent: &str, out: &mut String) {
    let _ = writeln!(
        out,
        "{indent}#{} {} {}",
        r.position,
        r.method.as_str(),
        secrets.redact(&r.url)
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "{indent}  fails before sending: {}", secrets.redact(e));
        return;
    }
    for (name, value) in &r.headers {
        let _ = writeln!(out, "{indent}  {name}: {}", secrets.redact(value));
    }
    if let Some(sign) = &r.sign {
        let scheme = match &sign.scheme {
            SignKind::HmacSha256 { header } => format!("hmac-sha256 in `{header}`"),
            SignKind::StandardWebhooks => "standard-webhooks".to_string(),
        };
        let _ = writeln!(
            out,
            "{indent}  signed with {scheme} using secret `{}` when sent",
            sign.secret
        );
    }
    match &r.body {
        Some(body) => {
            let _ = writeln!(out, "{indent}  body {}", secrets.redact(body));
        }
        None => {
            let _ = writeln!(out, "{indent}  no body");
        }
    }
}

/// The explanation of one event as JSON lines, one per rule.
pub fn json(event: &Event, reports: &[RuleReport], secrets: &Secrets) -> Vec<String> {
    reports
        .iter()
        .map(|r| {
            let conditions: Vec<serde_json::Value> = r
                .conditions
                .iter()
                .map(|c| {
                    let tests: Vec<serde_json::Value> = c
                        .tests
                        .iter()
                        .map(|t| {
                            let reads: serde_json::Map<String, serde_json::Value> = t
                                .reads
                                .iter()
                                .map(|(p, v)| {
                                    let v = serde_json::from_str(v)
                                        .unwrap_or(serde_json::Value::String(v.clone()));
                                    (p.clone(), v)
                                })
                                .collect();
                            json!({"test": t.text, "value": t.value, "reads": reads})
                        })
                        .collect();
                    json!({"branch": c.branch, "line": c.line, "condition": c.text,
                           "value": c.value, "tests": tests})
                })
                .collect();
            let requests: Vec<serde_json::Value> = r
                .steps
                .iter()
                .flat_map(|s| match s {
                    Step::One(one) => vec![(false, one)],
                    Step::Parallel(rs) => rs.iter().map(|x| (true, x)).collect(),
                })
                .map(|(parallel, req)| request_json(req, parallel, secrets))
                .collect();
            json!({
                "event_id": event.id(),
                "rule": r.rule,
                "location": r.location,
                "trigger": r.trigger,
                "trigger_matched": r.trigger_matched,
                "conditions": conditions,
                "branch": r.branch,
                "fired": r.reason.is_none(),
                "reason": r.reason,
                "requests": requests,
            })
            .to_string()
        })
        .collect()
}

fn request_json(r: &Request, parallel: bool, secrets: &Secrets) -> serde_json::Value {
    let headers: Vec<serde_json::Value> = r
        .headers
        .iter()
        .map(|(n, v)| json!([n, secrets.redact(v)]))
        .collect();
    json!({
        "action": r.position,
        "parallel": parallel,
        "method": r.method.as_str(),
        "url": secrets.redact(&r.url),
        "headers": headers,
        "body": r.body,
        "error": r.error.as_ref().map(|e| secrets.redact(e)),
    })
}
