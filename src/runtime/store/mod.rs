//! The run store: the outbox of actions to deliver and the run log ("Manual Executions").
//!
//! The runtime talks to it only through [`RunStore`], so a store shared by several
//! workers (Postgres) can replace the single-file SQLite one and pass the same
//! conformance tests (`tests/store.rs`). Every method that writes runs as one
//! transaction; [`RunStore::apply`] takes a whole batch so the caller can group many
//! delivery results into one commit (one fsync).

mod lock;
mod model;
mod read;
mod sqlite;
mod throttle;
mod write;

pub use lock::RunnerLock;
pub use model::*;
pub use sqlite::SqliteStore;

/// A store of events, executions, actions (the outbox) and attempts.
///
/// Times are Unix milliseconds. `owner` names one running worker; an action leased by a
/// worker is not handed to another until the lease expires or is released.
pub trait RunStore: Send {
    /// Records events with their executions and pending actions in one transaction,
    /// before anything is sent. Executions that already exist for (rule, event id) are
    /// skipped; keyed throttles suppress, global throttles delay (`not_before`). The new
    /// pending actions are leased to `owner`.
    fn record(
        &mut self,
        events: &[NewEvent],
        now: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Vec<Recorded>, StoreError>;

    /// Leases every pending action that no live worker holds (lease empty, expired or
    /// already `owner`'s) and returns their executions, oldest event first, with all of
    /// their actions so step order can be resumed.
    fn claim_unfinished(
        &mut self,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<StoredExecution>, StoreError>;

    /// Applies a batch of delivery results in one transaction.
    fn apply(&mut self, updates: &[Update]) -> Result<(), StoreError>;

    /// Applies `updates` and records each batch of events, in one transaction where the
    /// store can (the group commit of the writer: one fsync for everything that arrived
    /// while the previous commit ran).
    fn write(
        &mut self,
        updates: &[Update],
        batches: &[RecordBatch],
    ) -> Result<Vec<Vec<Recorded>>, StoreError> {
        self.apply(updates)?;
        batches
            .iter()
            .map(|b| self.record(&b.events, b.now, &b.owner, b.lease_ms))
            .collect()
    }

    /// Drops every lease held by `owner` (on a clean stop).
    fn release(&mut self, owner: &str) -> Result<(), StoreError>;

    /// Drops every lease held by anyone: only for a store that knows no other worker is
    /// alive (the SQLite store under its runner lock).
    fn release_all(&mut self) -> Result<usize, StoreError>;

    /// Makes an execution's actions pending again for `runs rerun`, due `now`, leased
    /// to `owner`; with `new_keys` each action gets a fresh Idempotency-Key.
    fn prepare_rerun(
        &mut self,
        execution_id: &str,
        new_keys: bool,
        now: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<StoredExecution>, StoreError>;

    /// One execution with all of its actions.
    fn execution(&self, execution_id: &str) -> Result<Option<StoredExecution>, StoreError>;

    /// Executions, newest first.
    fn list(&self, filter: &ListFilter) -> Result<Vec<ExecutionSummary>, StoreError>;

    /// One execution with its actions and their attempts.
    fn show(&self, execution_id: &str) -> Result<Option<ExecutionDetail>, StoreError>;
}

/// A store failure (I/O, corruption, a newer schema).
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("run store: {e}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(format!("run store holds malformed data: {e}"))
    }
}
