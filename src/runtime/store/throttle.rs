//! Throttle decisions, made inside the transaction that records an execution.
//!
//! Rolling windows over processing time. A keyed throttle (`per case|contact`) counts the
//! executions it let through in the last window and suppresses beyond the limit. A
//! global throttle keeps the release times it handed out: the next execution is released
//! no earlier than the N-th latest release plus the window, so releases are spread out,
//! one by one, in the order executions were recorded (never dropped).

use rusqlite::{params, OptionalExtension, Transaction};

use crate::ast::ThrottleKey;
use crate::vm::effect::ThrottleSpec;

use super::model::NewExecution;
use super::sqlite::{query_one, run_sql};

/// What the throttles allow for one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Suppress,
    /// Send no earlier than this time (Unix ms).
    Release(i64),
}

/// Decides and records the throttle hits for `exec` at time `now`.
pub(super) fn decide(
    tx: &Transaction<'_>,
    exec: &NewExecution,
    now: i64,
) -> rusqlite::Result<Decision> {
    let keyed: Vec<(&ThrottleSpec, String)> = exec
        .throttles
        .iter()
        .filter_map(|t| {
            let value = match t.key? {
                ThrottleKey::Case => format!("case:{}", exec.case_id),
                ThrottleKey::Contact => format!("contact:{}", exec.contact_id),
            };
            Some((t, format!("{}/{}:{value}", t.limit, t.window_secs)))
        })
        .collect();
    for (t, key) in &keyed {
        let since = now - window_ms(t);
        let count: i64 = query_one(
            tx,
            "SELECT COUNT(*) FROM throttle_hits WHERE rule = ?1 AND key = ?2 AND at > ?3",
            params![exec.rule, key, since],
            |r| r.get(0),
        )?;
        if count >= t.limit as i64 {
            return Ok(Decision::Suppress);
        }
    }
    for (_, key) in &keyed {
        insert_hit(tx, &exec.rule, key, now)?;
    }
    let mut release = now;
    let globals: Vec<&ThrottleSpec> = exec.throttles.iter().filter(|t| t.key.is_none()).collect();
    for t in &globals {
        let key = global_key(t);
        let nth_latest: Option<i64> = query_one(
            tx,
            "SELECT at FROM throttle_hits WHERE rule = ?1 AND key = ?2
                 ORDER BY at DESC LIMIT 1 OFFSET ?3",
            params![exec.rule, key, t.limit.saturating_sub(1) as i64],
            |r| r.get(0),
        )
        .optional()?;
        if let Some(at) = nth_latest {
            release = release.max(at + window_ms(t));
        }
    }
    for t in &globals {
        insert_hit(tx, &exec.rule, &global_key(t), release)?;
    }
    Ok(Decision::Release(release))
}

/// Forgets hits older than any window could look at (a day beyond the longest window).
pub(super) fn prune(tx: &Transaction<'_>, now: i64) -> rusqlite::Result<()> {
    // Windows are at most days long; keep 31 days to be safe.
    run_sql(
        tx,
        "DELETE FROM throttle_hits WHERE at < ?1",
        params![now - 31 * 86_400_000],
    )?;
    Ok(())
}

fn global_key(t: &ThrottleSpec) -> String {
    format!("{}/{}", t.limit, t.window_secs)
}

fn window_ms(t: &ThrottleSpec) -> i64 {
    (t.window_secs as i64).saturating_mul(1000)
}

fn insert_hit(tx: &Transaction<'_>, rule: &str, key: &str, at: i64) -> rusqlite::Result<()> {
    run_sql(
        tx,
        "INSERT INTO throttle_hits (rule, key, at) VALUES (?1, ?2, ?3)",
        params![rule, key, at],
    )?;
    Ok(())
}
