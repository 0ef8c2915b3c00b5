//! Rendering the run log for people: a `runs list` table and a "Manual Executions"
//! page for `runs show` (also printed by `demo`).

use std::fmt::Write;

use crate::runtime::store::{AttemptDetail, ExecutionDetail, ExecutionSummary};

/// The `runs list` table.
pub fn list_table(rows: &[ExecutionSummary]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24}  {:<10}  {:<20}  {:<28}  {:<12}  RULE",
        "CREATED", "STATUS", "ID", "EVENT", "CASE"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<24}  {:<10}  {:<20}  {:<28}  {:<12}  {}",
            r.created_at,
            r.status.as_str(),
            r.id,
            r.event_id,
            r.case_id,
            r.rule
        );
    }
    out
}

/// One execution with its requests, statuses and response bodies.
pub fn execution_page(e: &ExecutionDetail) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Execution {}  [{}]", e.id, e.status.as_str());
    let _ = writeln!(out, "  rule    {}", e.rule);
    let _ = writeln!(out, "  event   {}", e.event_id);
    let _ = writeln!(out, "  case    {}", e.case_id);
    let _ = writeln!(out, "  branch  {}", e.branch);
    for a in &e.actions {
        let _ = writeln!(
            out,
            "\n  Action {}  {} {}  [{}]",
            a.position,
            a.method,
            a.url,
            a.status.as_str()
        );
        if a.attempts.is_empty() {
            let _ = writeln!(out, "    no attempts");
        }
        for at in &a.attempts {
            attempt_block(&mut out, at);
        }
    }
    out
}

fn attempt_block(out: &mut String, a: &AttemptDetail) {
    let outcome = match (&a.response, &a.error) {
        (Some(r), _) => format!("HTTP {}", r.status),
        (None, Some(_)) => "no response".to_string(),
        (None, None) => "not sent".to_string(),
    };
    let _ = writeln!(
        out,
        "    Attempt {}  {}  {} ms  {}",
        a.number, a.started_at, a.duration_ms, outcome
    );
    let _ = writeln!(out, "      > {} {}", a.request.method, a.request.url);
    for (n, v) in &a.request.headers {
        let _ = writeln!(out, "      > {n}: {v}");
    }
    if let Some(body) = &a.request.body {
        let _ = writeln!(out, "      > {body}");
    }
    if let Some(r) = &a.response {
        let _ = writeln!(out, "      < {}", r.status);
        for (n, v) in &r.headers {
            let _ = writeln!(out, "      < {n}: {v}");
        }
        for line in r.body.lines() {
            let _ = writeln!(out, "      < {line}");
        }
    }
    if let Some(err) = &a.error {
        let _ = writeln!(out, "      error: {err}");
    }
}
