//! One runner per SQLite store.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Exclusive right to run deliveries from one SQLite store: an exclusive lock held on
/// `<store>.lock` for the life of the process. The OS drops it when the process dies,
/// so the next runner knows every lease in the store is stale.
pub struct RunnerLock {
    // A mutex only to make the lock `Sync`; nothing uses the connection.
    _conn: std::sync::Mutex<Connection>,
}

impl RunnerLock {
    /// Takes the lock, or says that another `run`/`serve` is using the store.
    pub fn acquire(store: &Path) -> Result<RunnerLock, StoreError> {
        if let Some(parent) = store.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError(format!("cannot create `{}`: {e}", parent.display())))?;
        }
        let mut path = store.as_os_str().to_owned();
        path.push(".lock");
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_millis(0))?;
        conn.execute_batch("BEGIN EXCLUSIVE").map_err(|_| {
            StoreError(format!(
                "run store `{}` is in use by another `rulec run` or `rulec serve`",
                store.display()
            ))
        })?;
        Ok(RunnerLock {
            _conn: std::sync::Mutex::new(conn),
        })
    }
}
