//! The single store writer: a thread that owns the store and groups writes.
//!
//! Everything that reaches the channel while a transaction commits goes into the next
//! one, so many delivery results share one fsync (group commit). Recorded executions
//! are forwarded to the engine in commit order, so event order survives concurrent
//! intake (`serve`).

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::store::{
    NewEvent, RecordBatch, Recorded, RunStore, StoreError, StoredExecution, Update,
};

/// How many messages one transaction takes at most.
const MAX_BATCH: usize = 4096;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// Work to run on the writer thread with the store.
pub(crate) type StoreTask = Box<dyn FnOnce(&mut dyn RunStore) + Send>;

/// A message to the writer thread.
pub(crate) enum Msg {
    Record {
        events: Vec<NewEvent>,
        now: i64,
        owner: String,
        lease_ms: i64,
        reply: Reply<Vec<Recorded>>,
    },
    Apply(Update),
    ApplyMany(Vec<Update>),
    /// Run a closure with the store (claims, reruns, releases) after pending writes.
    With(StoreTask),
    /// Answer once every earlier write is committed.
    Flush(Reply<()>),
}

/// Handle to the writer thread.
#[derive(Clone)]
pub struct Writer {
    tx: Sender<Msg>,
}

impl Writer {
    /// Starts the thread; committed executions are passed to `on_record`.
    pub fn spawn(
        store: Box<dyn RunStore>,
        on_record: impl Fn(&[StoredExecution]) + Send + 'static,
    ) -> (Writer, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::spawn(move || run(store, rx, on_record));
        (Writer { tx }, handle)
    }

    /// Records events in one transaction and answers when committed.
    pub async fn record(
        &self,
        events: Vec<NewEvent>,
        now: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Vec<Recorded>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Record {
            events,
            now,
            owner: owner.to_string(),
            lease_ms,
            reply,
        })?;
        rx.await.map_err(|_| stopped())?
    }

    /// Queues a write for the next group commit.
    pub fn apply(&self, update: Update) {
        // A stopped writer already reported its failure on the flush that ended it.
        let _ = self.tx.send(Msg::Apply(update));
    }

    /// Queues several writes for the next group commit.
    pub fn apply_many(&self, updates: Vec<Update>) {
        let _ = self.tx.send(Msg::ApplyMany(updates));
    }

    /// Runs `f` on the store after every earlier write.
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn RunStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::With(Box::new(move |s| {
            let _ = reply.send(f(s));
        })))?;
        rx.await.map_err(|_| stopped())?
    }

    /// Waits until every earlier write is committed; reports a failed commit.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Flush(reply))?;
        rx.await.map_err(|_| stopped())?
    }

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        self.tx.send(msg).map_err(|_| stopped())
    }
}

fn stopped() -> StoreError {
    StoreError("the run store writer stopped".into())
}

fn run(mut store: Box<dyn RunStore>, rx: Receiver<Msg>, on_record: impl Fn(&[StoredExecution])) {
    let mut failure: Option<String> = None;
    // Kept from one transaction to the next: a batch holds thousands of results, and a
    // fresh vector each time grew through new pages of memory on every commit.
    let mut updates: Vec<Update> = Vec::new();
    let mut records: Vec<RecordBatch> = Vec::new();
    let mut replies = Vec::new();
    let mut after = Vec::new();
    while let Ok(first) = rx.recv() {
        // Everything that arrived goes into one transaction; closures and flushes run
        // after it, in arrival order relative to each other.
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(m) = next.take() {
            taken += 1;
            match m {
                Msg::Apply(u) => updates.push(u),
                Msg::ApplyMany(mut us) => updates.append(&mut us),
                Msg::Record {
                    events,
                    now,
                    owner,
                    lease_ms,
                    reply,
                } => {
                    records.push(RecordBatch {
                        events,
                        now,
                        owner,
                        lease_ms,
                    });
                    replies.push(reply);
                }
                other => after.push(other),
            }
            if taken < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !updates.is_empty() || !records.is_empty() {
            match store.write(&updates, &records) {
                Ok(recorded) => {
                    for (r, reply) in recorded.into_iter().zip(replies.drain(..)) {
                        for ev in &r {
                            on_record(&ev.created);
                        }
                        let _ = reply.send(Ok(r));
                    }
                }
                Err(e) => {
                    eprintln!("error: cannot write the run log: {e}");
                    failure = Some(e.0.clone());
                    for reply in replies.drain(..) {
                        let _ = reply.send(Err(StoreError(e.0.clone())));
                    }
                }
            }
            updates.clear();
            records.clear();
        }
        for m in after.drain(..) {
            match m {
                Msg::With(f) => f(store.as_mut()),
                Msg::Flush(reply) => {
                    let _ = reply.send(match &failure {
                        Some(e) => Err(StoreError(e.clone())),
                        None => Ok(()),
                    });
                }
                Msg::Apply(_) | Msg::ApplyMany(_) | Msg::Record { .. } => {}
            }
        }
    }
}
