//! Reading the SQLite run store: executions with their actions, the run log views.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::*;
use super::StoreError;

/// An execution with all of its actions (by position), or `None`.
pub(super) fn load_execution(
    conn: &Connection,
    id: &str,
) -> Result<Option<StoredExecution>, StoreError> {
    let head = conn
        .query_row(
            "SELECT id, rule, event_id, event_seq, case_id, contact_id, branch, status, seq
             FROM executions WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i64>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((id, rule, event_id, event_seq, case_id, contact_id, branch, status, seq)) = head
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, r.request, a.receiver, a.status, a.attempts, a.round_attempts,
           a.next_attempt_at
         FROM actions a JOIN action_requests r ON r.action_id = a.id
         WHERE a.execution_seq = ?1 ORDER BY a.position",
    )?;
    let rows = stmt.query_map(params![seq], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, u32>(4)?,
            r.get::<_, u32>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut actions = Vec::new();
    for row in rows {
        let (aid, request, receiver, status, attempts, round_attempts, next_attempt_at) = row?;
        actions.push(StoredAction {
            id: aid,
            request: std::sync::Arc::new(serde_json::from_str(&request)?),
            receiver,
            status: parse_status(&status)?,
            attempts,
            round_attempts,
            next_attempt_at,
        });
    }
    Ok(Some(StoredExecution {
        id,
        rule,
        event_id,
        event_seq,
        case_id,
        contact_id,
        branch,
        status: parse_status(&status)?,
        actions,
    }))
}

/// `runs list`: newest first.
pub(super) fn list(
    conn: &Connection,
    filter: &ListFilter,
) -> Result<Vec<ExecutionSummary>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, rule, event_id, case_id, status, created_at FROM executions
         WHERE (?1 IS NULL OR rule = ?1) AND (?2 IS NULL OR status = ?2)
           AND (?3 IS NULL OR case_id = ?3)
         ORDER BY created_at DESC, event_seq DESC, rowid DESC
         LIMIT ?4",
    )?;
    let limit = filter.limit.map(|l| l as i64).unwrap_or(-1);
    let rows = stmt.query_map(
        params![
            filter.rule,
            filter.status.map(Status::as_str),
            filter.case,
            limit
        ],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, rule, event_id, case_id, status, created_at) = row?;
        out.push(ExecutionSummary {
            id,
            rule,
            event_id,
            case_id,
            status: parse_status(&status)?,
            created_at: rfc3339(created_at),
        });
    }
    Ok(out)
}

/// `runs show ID`.
pub(super) fn show(conn: &Connection, id: &str) -> Result<Option<ExecutionDetail>, StoreError> {
    let Some(exec) = load_execution(conn, id)? else {
        return Ok(None);
    };
    let mut actions = Vec::with_capacity(exec.actions.len());
    for a in &exec.actions {
        actions.push(ActionDetail {
            position: a.request.position,
            method: a.request.method.clone(),
            url: a.request.url.clone(),
            status: a.status,
            attempts: attempts(conn, a.id, &a.request.body)?,
        });
    }
    Ok(Some(ExecutionDetail {
        id: exec.id,
        rule: exec.rule,
        event_id: exec.event_id,
        case_id: exec.case_id,
        status: exec.status,
        branch: exec.branch,
        actions,
    }))
}

fn attempts(
    conn: &Connection,
    action_id: i64,
    request_body: &Option<String>,
) -> Result<Vec<AttemptDetail>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, request, response_status, response_headers, response_body, error,
           started_at, duration_ms FROM attempts WHERE action_id = ?1 ORDER BY number",
    )?;
    let rows = stmt.query_map(params![action_id], attempt_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (number, request, status, headers, body, error, started_at, duration_ms) = row?;
        let response = match (status, headers) {
            (Some(status), Some(headers)) => Some(ResponseLog {
                status,
                headers: serde_json::from_str(&headers)?,
                body: body.unwrap_or_default(),
            }),
            _ => None,
        };
        let mut request: RequestLog = serde_json::from_str(&request)?;
        request.body = request_body.clone();
        out.push(AttemptDetail {
            number,
            request,
            response,
            error,
            started_at: rfc3339(started_at),
            duration_ms: duration_ms.max(0) as u64,
        });
    }
    Ok(out)
}

type AttemptRow = (
    u32,
    String,
    Option<u16>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

fn attempt_row(r: &Row<'_>) -> rusqlite::Result<AttemptRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn parse_status(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| StoreError(format!("run store holds unknown status `{s}`")))
}
