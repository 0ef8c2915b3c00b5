//! The run store in one SQLite file: WAL, `synchronous=FULL`, schema versions in
//! `user_version`.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::model::*;
use super::read;
use super::write::{apply_one, record_events, settle_finished_executions, Hot};
use super::{RunStore, StoreError};

/// Schema migrations, in order; `user_version` holds how many have been applied.
const MIGRATIONS: &[&str] = &[include_str!("schema_v1.sql"), include_str!("schema_v2.sql")];

/// A run store in a single SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating it and its parent directory if needed) and migrates the store.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError(format!("cannot create `{}`: {e}", parent.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open run store `{}`: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Fewer, larger checkpoints: each one fsyncs the database file.
        conn.pragma_update(None, "wal_autocheckpoint", 4000)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError(format!(
                "run store `{}` has schema version {version}, newer than this rulec knows ({})",
                self.path.display(),
                MIGRATIONS.len()
            )));
        }
        if version as usize == MIGRATIONS.len() {
            return Ok(());
        }
        // Rebuilding a table means dropping one that others refer to: foreign keys are
        // off while migrating (the pragma has no effect inside a transaction) and
        // checked before each migration commits.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let migrated = self.apply_migrations(version as usize);
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        migrated
    }

    fn apply_migrations(&mut self, from: usize) -> Result<(), StoreError> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()?;
            if let Some(table) = broken {
                return Err(StoreError(format!(
                    "run store `{}`: migration to schema version {} left a broken reference in `{table}`",
                    self.path.display(),
                    i + 1
                )));
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// Runs a statement through the connection's prepared-statement cache (the hot paths
/// run the same few statements thousands of times).
pub(super) fn run_sql(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(p)
}

/// Queries one row through the prepared-statement cache.
pub(super) fn query_one<T>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(p, f)
}

impl RunStore for SqliteStore {
    fn record(
        &mut self,
        events: &[NewEvent],
        now: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Vec<Recorded>, StoreError> {
        let tx = self.conn.transaction()?;
        let out = record_events(&tx, &mut Hot::new(&tx)?, events, now, owner, lease_ms)?;
        tx.commit()?;
        Ok(out)
    }

    fn write(
        &mut self,
        updates: &[Update],
        batches: &[RecordBatch],
    ) -> Result<Vec<Vec<Recorded>>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut hot = Hot::new(&tx)?;
        for u in updates {
            apply_one(&tx, &mut hot, u)?;
        }
        let mut out = Vec::with_capacity(batches.len());
        for b in batches {
            out.push(record_events(
                &tx, &mut hot, &b.events, b.now, &b.owner, b.lease_ms,
            )?);
        }
        drop(hot);
        tx.commit()?;
        Ok(out)
    }

    fn claim_unfinished(
        &mut self,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        let tx = self.conn.transaction()?;
        settle_finished_executions(&tx)?;
        run_sql(
            &tx,
            "UPDATE actions SET lease_owner = ?1, lease_expires_at = ?2
             WHERE status = 'pending'
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_expires_at <= ?3)",
            params![owner, now + lease_ms, now],
        )?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT e.id FROM executions e
                 WHERE EXISTS (SELECT 1 FROM actions a WHERE a.execution_seq = e.seq
                               AND a.status = 'pending' AND a.lease_owner = ?1)
                 ORDER BY e.event_seq, e.rule",
            )?;
            let rows = stmt.query_map(params![owner], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(e) = read::load_execution(&tx, &id)? {
                out.push(e);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    fn apply(&mut self, updates: &[Update]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut hot = Hot::new(&tx)?;
        for u in updates {
            apply_one(&tx, &mut hot, u)?;
        }
        drop(hot);
        tx.commit()?;
        Ok(())
    }

    fn release(&mut self, owner: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE actions SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?1",
            params![owner],
        )?;
        Ok(())
    }

    fn release_all(&mut self) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE actions SET lease_owner = NULL, lease_expires_at = NULL
             WHERE lease_owner IS NOT NULL",
            [],
        )?)
    }

    fn prepare_rerun(
        &mut self,
        execution_id: &str,
        new_keys: bool,
        now: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<StoredExecution>, StoreError> {
        let tx = self.conn.transaction()?;
        let Some(exec) = read::load_execution(&tx, execution_id)? else {
            return Ok(None);
        };
        for a in &exec.actions {
            if new_keys {
                let mut request = (*a.request).clone();
                rekey(&mut request);
                run_sql(
                    &tx,
                    "UPDATE action_requests SET request = ?2 WHERE action_id = ?1",
                    params![a.id, serde_json::to_string(&request)?],
                )?;
                run_sql(
                    &tx,
                    "UPDATE actions SET idempotency_key = ?2 WHERE id = ?1",
                    params![a.id, request.idempotency_key],
                )?;
            }
            run_sql(
                &tx,
                "UPDATE actions SET status = 'pending', round_attempts = 0, next_attempt_at = ?2,
                   lease_owner = ?3, lease_expires_at = ?4
                 WHERE id = ?1",
                params![a.id, now, owner, now + lease_ms],
            )?;
        }
        run_sql(
            &tx,
            "UPDATE executions SET status = 'pending' WHERE id = ?1",
            params![execution_id],
        )?;
        let exec = read::load_execution(&tx, execution_id)?;
        tx.commit()?;
        Ok(exec)
    }

    fn execution(&self, execution_id: &str) -> Result<Option<StoredExecution>, StoreError> {
        read::load_execution(&self.conn, execution_id)
    }

    fn list(&self, filter: &ListFilter) -> Result<Vec<ExecutionSummary>, StoreError> {
        read::list(&self.conn, filter)
    }

    fn show(&self, execution_id: &str) -> Result<Option<ExecutionDetail>, StoreError> {
        read::show(&self.conn, execution_id)
    }
}

/// A fresh Idempotency-Key, also written into the stored `Idempotency-Key` header.
fn rekey(request: &mut StoredRequest) {
    let hex: String = (0..16)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect();
    request.idempotency_key = format!("msg_{hex}");
    for h in &mut request.headers {
        if h.name.eq_ignore_ascii_case("idempotency-key") {
            h.value = vec![Segment::Text(request.idempotency_key.clone())];
        }
    }
}
