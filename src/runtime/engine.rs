//! The delivery engine: decides which action may be attempted now and records results.
//!
//! One task owns the state; attempts run as spawned tasks and report back. An action may
//! start when (1) its execution has reached its step (sequence order), (2) no action of
//! an earlier event for the same case and receiver is unfinished (event order per case
//! and receiver; other receivers and cases are never held up), and (3) its next attempt
//! time has come (retry delay or global throttle release).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::policy::{self, Verdict};
use super::send::{self, SendContext};
use super::store::{now_ms, AttemptRecord, Status, StoredExecution, StoredRequest, Update};
use super::writer::Writer;

/// Tuning of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Multiplies every retry-schedule delay (tests use a small scale).
    pub time_scale: f64,
    /// `Retry-After` is honoured up to this long.
    pub retry_after_cap: Duration,
    /// Attempts in flight at once.
    pub max_in_flight: usize,
    /// Keep the ids of finished executions for the next [`Report`]. A server that runs
    /// for months and asks for no report turns it off, or the list would only grow.
    pub report_finished: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            time_scale: 1.0,
            retry_after_cap: Duration::from_secs(3600),
            max_in_flight: 512,
            report_finished: true,
        }
    }
}

/// Commands handled per turn before dispatching again.
const DRAIN: usize = 256;

/// A message to the engine.
pub(crate) enum Cmd {
    /// Executions committed to the store, to deliver.
    Add(Vec<StoredExecution>),
    /// Answer when nothing can happen within `wait` (every action finished or waiting
    /// longer than that).
    Idle {
        wait: Duration,
        reply: oneshot::Sender<Report>,
    },
    /// Start nothing new; answer once in-flight attempts finished.
    Stop(oneshot::Sender<Report>),
    Done {
        action: i64,
        record: AttemptRecord,
        verdict: Verdict,
    },
}

/// What the engine did and what is left.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Executions finished since the previous report, with their final status.
    pub finished: Vec<(String, Status)>,
    /// Actions still pending.
    pub pending: Vec<PendingAction>,
}

/// An action left waiting when the engine went idle.
#[derive(Debug, Clone)]
pub struct PendingAction {
    pub execution_id: String,
    pub rule: String,
    pub event_id: String,
    pub position: u32,
    pub url: String,
    /// Unix ms of the next attempt (or of the blocking action's).
    pub next_attempt_at: i64,
}

struct Act {
    exec: String,
    seq: i64,
    queue: (String, String),
    /// Shared with the attempt in flight (no copy per attempt).
    request: Arc<StoredRequest>,
    attempts: u32,
    round_attempts: u32,
    next_attempt_at: i64,
    in_flight: bool,
    queued: bool,
}

struct Exec {
    rule: String,
    event_id: String,
    current_step: u32,
    /// Unfinished actions by step.
    open: HashMap<u32, Vec<i64>>,
    any_failed: bool,
}

pub(crate) struct Engine {
    ctx: SendContext,
    cfg: EngineConfig,
    writer: Writer,
    tx: mpsc::UnboundedSender<Cmd>,
    acts: HashMap<i64, Act>,
    execs: HashMap<String, Exec>,
    queues: HashMap<(String, String), BTreeSet<(i64, i64)>>,
    timers: BinaryHeap<Reverse<(i64, i64)>>,
    ready: VecDeque<i64>,
    in_flight: usize,
    finished: Vec<(String, Status)>,
    idle_waiters: Vec<(Duration, oneshot::Sender<Report>)>,
    stopping: Option<oneshot::Sender<Report>>,
    /// Results not yet handed to the writer.
    updates: Vec<Update>,
}

impl Engine {
    pub(crate) fn new(
        ctx: SendContext,
        cfg: EngineConfig,
        writer: Writer,
        tx: mpsc::UnboundedSender<Cmd>,
    ) -> Self {
        Engine {
            ctx,
            cfg,
            writer,
            tx,
            acts: HashMap::new(),
            execs: HashMap::new(),
            queues: HashMap::new(),
            timers: BinaryHeap::new(),
            ready: VecDeque::new(),
            in_flight: 0,
            finished: Vec::new(),
            idle_waiters: Vec::new(),
            stopping: None,
            updates: Vec::new(),
        }
    }

    /// Runs until stopped (or every sender is gone).
    pub(crate) async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>) {
        loop {
            self.dispatch();
            // One message to the writer per turn, not one per result: fewer wake-ups.
            self.flush_updates();
            self.answer_idle();
            if self.stopping.is_some() && self.in_flight == 0 {
                let report = self.report();
                if let Some(reply) = self.stopping.take() {
                    let _ = reply.send(report);
                }
                return;
            }
            let next = self.next_timer();
            let cmd = match next {
                Some(at) => {
                    let delay = Duration::from_millis((at - now_ms()).max(0) as u64);
                    tokio::select! {
                        c = rx.recv() => c,
                        () = tokio::time::sleep(delay) => { self.fire_timers(); continue; }
                    }
                }
                None => rx.recv().await,
            };
            let Some(first) = cmd else {
                self.flush_updates();
                return;
            };
            self.handle(first);
            // Take whatever else is already waiting before dispatching again.
            for _ in 0..DRAIN {
                match rx.try_recv() {
                    Ok(c) => self.handle(c),
                    Err(_) => break,
                }
            }
        }
    }

    fn flush_updates(&mut self) {
        if !self.updates.is_empty() {
            self.writer.apply_many(std::mem::take(&mut self.updates));
        }
    }

    fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Add(execs) => {
                for e in execs {
                    self.add(e);
                }
            }
            Cmd::Idle { wait, reply } => self.idle_waiters.push((wait, reply)),
            Cmd::Stop(reply) => self.stopping = Some(reply),
            Cmd::Done {
                action,
                record,
                verdict,
            } => self.done(action, record, verdict),
        }
    }

    fn add(&mut self, e: StoredExecution) {
        let Some(first_step) = e
            .actions
            .iter()
            .filter(|a| a.status == Status::Pending)
            .map(|a| a.request.step)
            .min()
        else {
            return;
        };
        if self.execs.contains_key(&e.id) {
            return;
        }
        let any_failed = e.actions.iter().any(|a| a.status == Status::Failed);
        let mut open: HashMap<u32, Vec<i64>> = HashMap::new();
        for a in e
            .actions
            .into_iter()
            .filter(|a| a.status == Status::Pending)
        {
            open.entry(a.request.step).or_default().push(a.id);
            let queue = (e.case_id.clone(), a.receiver);
            self.queues
                .entry(queue.clone())
                .or_default()
                .insert((e.event_seq, a.id));
            self.acts.insert(
                a.id,
                Act {
                    exec: e.id.clone(),
                    seq: e.event_seq,
                    queue,
                    request: a.request,
                    attempts: a.attempts,
                    round_attempts: a.round_attempts,
                    next_attempt_at: a.next_attempt_at,
                    in_flight: false,
                    queued: false,
                },
            );
        }
        let ids: Vec<i64> = open.get(&first_step).cloned().unwrap_or_default();
        self.execs.insert(
            e.id,
            Exec {
                rule: e.rule,
                event_id: e.event_id,
                current_step: first_step,
                open,
                any_failed,
            },
        );
        for id in ids {
            self.consider(id);
        }
    }

    /// Queues the action to start now, sets a timer, or leaves it blocked.
    fn consider(&mut self, id: i64) {
        let Some(act) = self.acts.get(&id) else {
            return;
        };
        if act.in_flight || act.queued {
            return;
        }
        let step_ok = self
            .execs
            .get(&act.exec)
            .is_some_and(|e| e.current_step == act.request.step);
        let head_ok = self
            .queues
            .get(&act.queue)
            .and_then(|q| q.first())
            .is_some_and(|(seq, _)| *seq >= act.seq);
        if !step_ok || !head_ok {
            return;
        }
        let at = act.next_attempt_at;
        if at > now_ms() {
            self.timers.push(Reverse((at, id)));
        } else if let Some(act) = self.acts.get_mut(&id) {
            act.queued = true;
            self.ready.push_back(id);
        }
    }

    fn dispatch(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        while self.in_flight < self.cfg.max_in_flight {
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            let Some(act) = self.acts.get_mut(&id) else {
                continue;
            };
            act.queued = false;
            act.in_flight = true;
            self.in_flight += 1;
            let request = act.request.clone();
            let number = act.attempts + 1;
            let ctx = self.ctx.clone();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let (record, verdict) = send::attempt(&ctx, &request, number).await;
                let _ = tx.send(Cmd::Done {
                    action: id,
                    record,
                    verdict,
                });
            });
        }
    }

    fn done(&mut self, id: i64, record: AttemptRecord, verdict: Verdict) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(act) = self.acts.get_mut(&id) else {
            return;
        };
        act.in_flight = false;
        let round = act.round_attempts + 1;
        let now = now_ms();
        let (status, next_at) = match verdict {
            Verdict::Success => (Status::Succeeded, now),
            Verdict::Fail => (Status::Failed, now),
            Verdict::Retry { after } => match policy::next_delay(act.request.retry, round) {
                None => (Status::Failed, now),
                Some(d) => {
                    let delay = match after {
                        Some(a) => a.min(self.cfg.retry_after_cap),
                        None => d.mul_f64(self.cfg.time_scale),
                    };
                    (Status::Pending, now + delay.as_millis() as i64)
                }
            },
        };
        act.attempts = record.number;
        act.round_attempts = round;
        act.next_attempt_at = next_at;
        self.updates.push(Update::Attempt {
            action_id: id,
            attempt: record,
            status,
            round_attempts: round,
            next_attempt_at: next_at,
        });
        if status == Status::Pending {
            self.consider(id);
        } else {
            self.finish(id, status == Status::Failed);
        }
    }

    fn finish(&mut self, id: i64, failed: bool) {
        let Some(act) = self.acts.remove(&id) else {
            return;
        };
        let mut wake = Vec::new();
        if let Some(q) = self.queues.get_mut(&act.queue) {
            q.remove(&(act.seq, id));
            if let Some(&(head, _)) = q.first() {
                wake.extend(q.iter().take_while(|(s, _)| *s == head).map(|(_, a)| *a));
            } else {
                self.queues.remove(&act.queue);
            }
        }
        wake.extend(self.advance_exec(&act.exec, act.request.step, id, failed));
        for w in wake {
            self.consider(w);
        }
    }

    /// Marks the action finished in its execution; returns the actions of the next step
    /// when this one is complete, and records the execution's status when all are.
    fn advance_exec(&mut self, exec_id: &str, step: u32, id: i64, failed: bool) -> Vec<i64> {
        let Some(exec) = self.execs.get_mut(exec_id) else {
            return Vec::new();
        };
        exec.any_failed |= failed;
        if let Some(ids) = exec.open.get_mut(&step) {
            ids.retain(|a| *a != id);
            if ids.is_empty() {
                exec.open.remove(&step);
            }
        }
        if exec.open.contains_key(&exec.current_step) {
            return Vec::new();
        }
        match exec.open.keys().min().copied() {
            Some(next) => {
                exec.current_step = next;
                exec.open.get(&next).cloned().unwrap_or_default()
            }
            None => {
                let status = if exec.any_failed {
                    Status::Failed
                } else {
                    Status::Succeeded
                };
                self.execs.remove(exec_id);
                self.updates.push(Update::Execution {
                    id: exec_id.to_string(),
                    status,
                });
                if self.cfg.report_finished {
                    self.finished.push((exec_id.to_string(), status));
                }
                Vec::new()
            }
        }
    }

    /// The earliest valid timer, dropping stale ones.
    fn next_timer(&mut self) -> Option<i64> {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            let valid = self
                .acts
                .get(&id)
                .is_some_and(|a| !a.in_flight && !a.queued && a.next_attempt_at == at);
            if valid {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    fn fire_timers(&mut self) {
        let now = now_ms();
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.consider(id);
        }
    }

    fn answer_idle(&mut self) {
        if self.idle_waiters.is_empty() || self.in_flight > 0 || !self.ready.is_empty() {
            return;
        }
        let next = self.next_timer();
        let now = now_ms();
        let waiters = std::mem::take(&mut self.idle_waiters);
        for (wait, reply) in waiters {
            let idle = next.is_none_or(|at| at > now + wait.as_millis() as i64);
            if idle {
                let report = self.report();
                let _ = reply.send(report);
            } else {
                self.idle_waiters.push((wait, reply));
            }
        }
    }

    /// What is pending, and what finished since the previous report.
    fn report(&mut self) -> Report {
        let mut pending: Vec<PendingAction> = self
            .acts
            .values()
            .map(|a| {
                let exec = self.execs.get(&a.exec);
                PendingAction {
                    execution_id: a.exec.clone(),
                    rule: exec.map(|e| e.rule.clone()).unwrap_or_default(),
                    event_id: exec.map(|e| e.event_id.clone()).unwrap_or_default(),
                    position: a.request.position,
                    url: a.request.url.clone(),
                    next_attempt_at: a.next_attempt_at,
                }
            })
            .collect();
        pending.sort_by(|a, b| {
            (a.next_attempt_at, &a.execution_id, a.position).cmp(&(
                b.next_attempt_at,
                &b.execution_id,
                b.position,
            ))
        });
        Report {
            finished: std::mem::take(&mut self.finished),
            pending,
        }
    }
}
