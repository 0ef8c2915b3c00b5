//! [`Runtime`]: the store writer, the delivery engine and lease upkeep, started together.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::engine::{Cmd, Engine, EngineConfig, Report};
use super::send::{self, SendContext, Signer};
use super::store::{
    now_ms, NewEvent, Recorded, RunStore, SecretValues, SqliteStore, StoreError, StoredExecution,
    Update,
};
use super::writer::Writer;

/// How a runtime is set up.
#[derive(Debug, Clone)]
pub struct Options {
    pub allow_private_targets: bool,
    pub engine: EngineConfig,
    /// Computes signature headers at send time (`sign::signature_headers`).
    pub signer: Option<Signer>,
    /// How long a worker's claim on an action lasts without renewal.
    pub lease: Duration,
    /// Resume the store's unfinished actions at start (`runs rerun` does not).
    pub resume: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_private_targets: false,
            engine: EngineConfig::default(),
            signer: Some(super::intake::sign),
            lease: Duration::from_secs(60),
            resume: true,
        }
    }
}

/// A running delivery runtime over one store.
pub struct Runtime {
    writer: Writer,
    cmd: mpsc::UnboundedSender<Cmd>,
    owner: String,
    lease_ms: i64,
    engine: tokio::task::JoinHandle<()>,
    renew: tokio::task::JoinHandle<()>,
    writer_thread: Option<std::thread::JoinHandle<()>>,
    _lock: Option<super::store::RunnerLock>,
    /// Executions resumed from the store at start.
    pub resumed: usize,
}

impl Runtime {
    /// Opens the SQLite store at `path` as its only runner (a lock beside it), so every
    /// lease left by a crashed runner can be reclaimed at once, and starts delivering
    /// every unfinished action in it.
    pub async fn open_sqlite(
        path: &Path,
        secrets: SecretValues,
        options: Options,
    ) -> Result<Runtime, StoreError> {
        let lock = super::store::RunnerLock::acquire(path)?;
        let mut store = SqliteStore::open(path)?;
        store.release_all()?;
        let mut rt = Runtime::start(Box::new(store), secrets, options).await?;
        rt._lock = Some(lock);
        Ok(rt)
    }

    /// Starts over any store: claims unfinished actions whose lease expired and
    /// delivers them.
    pub async fn start(
        store: Box<dyn RunStore>,
        secrets: SecretValues,
        options: Options,
    ) -> Result<Runtime, StoreError> {
        let client = send::client(options.allow_private_targets).map_err(StoreError)?;
        let ctx = SendContext {
            client,
            secrets: Arc::new(secrets),
            signer: options.signer,
            allow_private_targets: options.allow_private_targets,
        };
        let (cmd, rx) = mpsc::unbounded_channel();
        let forward = cmd.clone();
        let (writer, writer_thread) = Writer::spawn(store, move |created| {
            let _ = forward.send(Cmd::Add(created.to_vec()));
        });
        let engine = Engine::new(ctx, options.engine.clone(), writer.clone(), cmd.clone());
        let engine = tokio::spawn(engine.run(rx));
        let owner = format!("rulec-{}-{:016x}", std::process::id(), fastrand::u64(..));
        let lease_ms = options.lease.as_millis() as i64;
        let claimed = if options.resume {
            let owner = owner.clone();
            writer
                .with(move |s| s.claim_unfinished(&owner, now_ms(), lease_ms))
                .await?
        } else {
            Vec::new()
        };
        let resumed = claimed.len();
        let _ = cmd.send(Cmd::Add(claimed));
        let renew = tokio::spawn(renew_leases(writer.clone(), owner.clone(), options.lease));
        Ok(Runtime {
            writer,
            cmd,
            owner,
            lease_ms,
            engine,
            renew,
            writer_thread: Some(writer_thread),
            _lock: None,
            resumed,
        })
    }

    /// Commits events with their executions and pending actions, then delivers them.
    pub async fn submit(&self, events: Vec<NewEvent>) -> Result<Vec<Recorded>, StoreError> {
        self.writer
            .record(events, now_ms(), &self.owner, self.lease_ms)
            .await
    }

    /// Makes an execution's actions pending again and delivers them now.
    pub async fn rerun(
        &self,
        execution_id: &str,
        new_keys: bool,
    ) -> Result<Option<StoredExecution>, StoreError> {
        let (id, owner, lease_ms) = (execution_id.to_string(), self.owner.clone(), self.lease_ms);
        let exec = self
            .writer
            .with(move |s| s.prepare_rerun(&id, new_keys, now_ms(), &owner, lease_ms))
            .await?;
        if let Some(e) = &exec {
            let _ = self.cmd.send(Cmd::Add(vec![e.clone()]));
        }
        Ok(exec)
    }

    /// Waits until nothing can happen within `wait`: every action finished, or waiting
    /// for a retry (or a throttle) further away than that.
    pub async fn idle(&self, wait: Duration) -> Result<Report, StoreError> {
        let (reply, rx) = oneshot::channel();
        let _ = self.cmd.send(Cmd::Idle { wait, reply });
        rx.await
            .map_err(|_| StoreError("the delivery engine stopped".into()))
    }

    /// Read access to the store (after every earlier write).
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn RunStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.writer.with(f).await
    }

    /// Stops delivering: starts nothing new, lets attempts in flight finish, commits
    /// every result and releases this runner's leases. Nothing stored is lost: what is
    /// left pending is resumed by the next runner. Usable through a shared reference
    /// (`serve` stops while handlers may still hold the runtime).
    pub async fn shutdown(&self) -> Result<Report, StoreError> {
        let (reply, rx) = oneshot::channel();
        let _ = self.cmd.send(Cmd::Stop(reply));
        let report = rx.await.unwrap_or_default();
        self.renew.abort();
        self.writer.flush().await?;
        let owner = self.owner.clone();
        self.writer.with(move |s| s.release(&owner)).await?;
        Ok(report)
    }

    /// [`Runtime::shutdown`], then waits for the engine and the store writer to end.
    pub async fn stop(mut self) -> Result<Report, StoreError> {
        let report = self.shutdown().await?;
        drop(self.cmd);
        let _ = (&mut self.engine).await;
        drop(self.writer);
        if let Some(t) = self.writer_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        Ok(report)
    }
}

async fn renew_leases(writer: Writer, owner: String, lease: Duration) {
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        writer.apply(Update::RenewLeases {
            owner: owner.clone(),
            until: now_ms() + lease.as_millis() as i64,
        });
    }
}
