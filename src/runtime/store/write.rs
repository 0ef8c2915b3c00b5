//! Writing the SQLite run store: recording events with their executions and actions,
//! and applying the engine's results. Everything here runs inside the writer thread's
//! transaction; the statements every delivery runs are prepared once per transaction
//! ([`Hot`]).

use rusqlite::{params, CachedStatement, Connection, OptionalExtension, Transaction};

use super::model::*;
use super::sqlite::{query_one, run_sql};
use super::throttle::{self, Decision};
use super::StoreError;

/// The statements every delivery runs, taken from the statement cache once per
/// transaction: a cache look-up hashes the whole SQL text, which took longer than
/// binding the parameters (a tenth of the writer's time went to the cache).
pub(super) struct Hot<'c> {
    insert_event: CachedStatement<'c>,
    insert_execution: CachedStatement<'c>,
    insert_action: CachedStatement<'c>,
    insert_request: CachedStatement<'c>,
    insert_attempt: CachedStatement<'c>,
    update_action: CachedStatement<'c>,
    update_execution: CachedStatement<'c>,
}

impl<'c> Hot<'c> {
    pub(super) fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Hot {
            insert_event: conn.prepare_cached(
                "INSERT OR IGNORE INTO events (id, received_at, body) VALUES (?1, ?2, ?3)",
            )?,
            insert_execution: conn.prepare_cached(
                "INSERT INTO executions (id, rule, event_id, event_seq, case_id, contact_id,
                   branch, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            insert_action: conn.prepare_cached(
                "INSERT INTO actions (execution_seq, step, position, idempotency_key, receiver,
                   status, attempts, round_attempts, next_attempt_at, lease_owner,
                   lease_expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7, ?8, ?9)",
            )?,
            insert_request: conn.prepare_cached(
                "INSERT INTO action_requests (action_id, request) VALUES (?1, ?2)",
            )?,
            insert_attempt: conn.prepare_cached(
                "INSERT OR REPLACE INTO attempts (action_id, number, request, response_status,
                   response_headers, response_body, error, started_at, duration_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            update_action: conn.prepare_cached(
                "UPDATE actions SET status = ?2, attempts = ?3, round_attempts = ?4,
                   next_attempt_at = ?5,
                   lease_owner = CASE WHEN ?6 THEN NULL ELSE lease_owner END,
                   lease_expires_at = CASE WHEN ?6 THEN NULL ELSE lease_expires_at END
                 WHERE id = ?1",
            )?,
            update_execution: conn
                .prepare_cached("UPDATE executions SET status = ?2 WHERE id = ?1")?,
        })
    }
}

pub(super) fn record_events(
    tx: &Transaction<'_>,
    hot: &mut Hot<'_>,
    events: &[NewEvent],
    now: i64,
    owner: &str,
    lease_ms: i64,
) -> Result<Vec<Recorded>, StoreError> {
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        out.push(record_event(tx, hot, ev, now, owner, now + lease_ms)?);
    }
    if !events.is_empty() {
        throttle::prune(tx, now)?;
    }
    Ok(out)
}

fn record_event(
    tx: &Transaction<'_>,
    hot: &mut Hot<'_>,
    ev: &NewEvent,
    now: i64,
    owner: &str,
    lease_until: i64,
) -> Result<Recorded, StoreError> {
    let inserted = hot.insert_event.execute(params![ev.id, now, ev.body])?;
    // A new event's seq is its rowid; a known one keeps the seq it arrived with.
    let seq: i64 = if inserted == 1 {
        tx.last_insert_rowid()
    } else {
        query_one(
            tx,
            "SELECT seq FROM events WHERE id = ?1",
            params![ev.id],
            |r| r.get(0),
        )?
    };
    let mut recorded = Recorded {
        event_id: ev.id.clone(),
        ..Recorded::default()
    };
    for exec in &ev.executions {
        // A new event has no executions yet: only a known one needs the look-up.
        if inserted != 1 && execution_exists(tx, &exec.id)? {
            recorded.skipped += 1;
            continue;
        }
        let decision = throttle::decide(tx, exec, now)?;
        recorded.created.push(insert_execution(
            tx,
            hot,
            seq,
            exec,
            decision,
            now,
            owner,
            lease_until,
        )?);
    }
    Ok(recorded)
}

fn execution_exists(tx: &Transaction<'_>, id: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = query_one(
        tx,
        "SELECT 1 FROM executions WHERE id = ?1",
        params![id],
        |r| r.get(0),
    )
    .optional()?;
    Ok(found.is_some())
}

#[allow(clippy::too_many_arguments)]
fn insert_execution(
    tx: &Transaction<'_>,
    hot: &mut Hot<'_>,
    seq: i64,
    exec: &NewExecution,
    decision: Decision,
    now: i64,
    owner: &str,
    lease_until: i64,
) -> Result<StoredExecution, StoreError> {
    let (not_before, suppressed) = match decision {
        Decision::Suppress => (now, true),
        Decision::Release(at) => (at, false),
    };
    let mut actions = Vec::with_capacity(exec.actions.len());
    for action in &exec.actions {
        let status = if suppressed {
            Status::Suppressed
        } else if action.request.error.is_some() {
            Status::Failed
        } else {
            Status::Pending
        };
        actions.push((action, status));
    }
    let exec_status = if suppressed {
        Status::Suppressed
    } else if actions.iter().any(|(_, s)| *s == Status::Pending) {
        Status::Pending
    } else if actions.iter().any(|(_, s)| *s == Status::Failed) {
        Status::Failed
    } else {
        Status::Succeeded
    };
    hot.insert_execution.execute(params![
        exec.id,
        exec.rule,
        exec.event_id,
        seq,
        exec.case_id,
        exec.contact_id,
        exec.branch,
        exec_status.as_str(),
        now
    ])?;
    let exec_seq = tx.last_insert_rowid();
    let mut stored = Vec::with_capacity(actions.len());
    for (action, status) in actions {
        let req = &action.request;
        let (lease_owner, lease_exp) = if status == Status::Pending {
            (Some(owner), Some(lease_until))
        } else {
            (None, None)
        };
        hot.insert_action.execute(params![
            exec_seq,
            req.step,
            req.position,
            req.idempotency_key,
            action.receiver,
            status.as_str(),
            not_before,
            lease_owner,
            lease_exp
        ])?;
        let action_id = tx.last_insert_rowid();
        hot.insert_request
            .execute(params![action_id, action.encoded])?;
        let mut attempts = 0;
        if let (Some(error), Status::Failed) = (&req.error, status) {
            attempts = 1;
            insert_attempt(hot, action_id, &render_failure(req, error, now))?;
            run_sql(
                tx,
                "UPDATE actions SET attempts = 1 WHERE id = ?1",
                params![action_id],
            )?;
        }
        stored.push(StoredAction {
            id: action_id,
            request: req.clone(),
            receiver: action.receiver.clone(),
            status,
            attempts,
            round_attempts: attempts,
            next_attempt_at: not_before,
        });
    }
    Ok(StoredExecution {
        id: exec.id.clone(),
        rule: exec.rule.clone(),
        event_id: exec.event_id.clone(),
        event_seq: seq,
        case_id: exec.case_id.clone(),
        contact_id: exec.contact_id.clone(),
        branch: exec.branch.clone(),
        status: exec_status,
        actions: stored,
    })
}

/// The attempt that records a request which could not be built (nothing was sent).
fn render_failure(req: &StoredRequest, error: &str, now: i64) -> AttemptRecord {
    AttemptRecord {
        number: 1,
        request: RequestLog {
            method: req.method.clone(),
            url: req.url.clone(),
            headers: req.redacted_headers().into_iter().collect(),
            body: req.body.clone(),
        },
        response: None,
        error: Some(format!("not sent: {error}")),
        started_at: now,
        duration_ms: 0,
    }
}

/// An attempt's request without the body.
#[derive(serde::Serialize)]
struct RequestHead<'a> {
    method: &'a str,
    url: &'a str,
    headers: &'a std::collections::BTreeMap<String, String>,
}

fn insert_attempt(hot: &mut Hot<'_>, action_id: i64, a: &AttemptRecord) -> Result<(), StoreError> {
    let (status, headers, body) = match &a.response {
        Some(r) => (
            Some(r.status),
            Some(serde_json::to_string(&r.headers)?),
            Some(r.body.as_str()),
        ),
        None => (None, None, None),
    };
    hot.insert_attempt.execute(params![
        action_id,
        a.number,
        // The body is the action's, the same on every attempt: not stored again.
        serde_json::to_string(&RequestHead {
            method: &a.request.method,
            url: &a.request.url,
            headers: &a.request.headers,
        })?,
        status,
        headers,
        body,
        a.error,
        a.started_at,
        a.duration_ms as i64
    ])?;
    Ok(())
}

pub(super) fn apply_one(
    tx: &Transaction<'_>,
    hot: &mut Hot<'_>,
    u: &Update,
) -> Result<(), StoreError> {
    match u {
        Update::Attempt {
            action_id,
            attempt,
            status,
            round_attempts,
            next_attempt_at,
        } => {
            insert_attempt(hot, *action_id, attempt)?;
            let finished = *status != Status::Pending;
            hot.update_action.execute(params![
                action_id,
                status.as_str(),
                attempt.number,
                round_attempts,
                next_attempt_at,
                finished
            ])?;
        }
        Update::Execution { id, status } => {
            hot.update_execution.execute(params![id, status.as_str()])?;
        }
        Update::RenewLeases { owner, until } => {
            run_sql(
                tx,
                "UPDATE actions SET lease_expires_at = ?2 WHERE lease_owner = ?1",
                params![owner, until],
            )?;
        }
    }
    Ok(())
}

/// Executions left `pending` although none of their actions is (a crash between the
/// last attempt's commit and the execution's): give them their final status.
pub(super) fn settle_finished_executions(tx: &Transaction<'_>) -> Result<(), StoreError> {
    run_sql(
        tx,
        "UPDATE executions SET status = CASE
           WHEN EXISTS (SELECT 1 FROM actions a WHERE a.execution_seq = executions.seq
                        AND a.status = 'failed') THEN 'failed' ELSE 'succeeded' END
         WHERE status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.execution_seq = executions.seq
                           AND a.status = 'pending')",
        [],
    )?;
    Ok(())
}
