//! The whole pipeline (decode, evaluate, render, sign, deliver to a local receiver,
//! durable run log) against bare reqwest posting the same bodies to the same receiver,
//! in the same process and run. Also the run log's write rate and the latency the
//! pipeline adds.
//!
//! `cargo bench --bench pipeline` (`PIPELINE_EVENTS=N` to change the load,
//! `PIPELINE_PHASES=1` to time VM work and recording, `PIPELINE_PROFILE_ENGINE=1` to run
//! only the store-less pipeline ten times, for a profiler).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rulec::cli::frontend;
use rulec::runtime::intake::Intake;
use rulec::runtime::store::{
    AttemptRecord, ExecutionDetail, ExecutionSummary, ListFilter, NewEvent, Recorded, RequestLog,
    RunStore, SqliteStore, Status, StoreError, StoredAction, StoredExecution, Update,
};
use rulec::runtime::{EngineConfig, Options, Runtime};
use rulec::secrets::Secrets;
use rulec::source::SourceMap;

/// The allocator of the `rulec` binary (src/main.rs), for both sides.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Requests in flight at once, for both the pipeline and bare reqwest.
const CONCURRENCY: usize = 64;
const LATENCY_SAMPLES: usize = 300;
/// Paired rounds of bare reqwest and the pipeline.
const ROUNDS: usize = 5;

fn main() {
    let events: usize = std::env::var("PIPELINE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(bench(events));
}

async fn bench(events: usize) {
    let (base, hits, delay) = receiver().await;
    let intake = intake(&base);
    let lines: Vec<String> = (0..events).map(|i| event(i, "bench")).collect();
    let t = Instant::now();
    let bodies = bodies(&intake, &lines);
    if std::env::var_os("PIPELINE_PHASES").is_some() {
        eprintln!(
            "  decode+evaluate+render {events} events: {:?}",
            t.elapsed()
        );
    }
    let dir = std::env::temp_dir().join(format!("rulec-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    if let Some(what) = std::env::var_os("PIPELINE_PROFILE_ENGINE") {
        // Only the pipeline (without a store, or `durable`), for a profiler.
        for round in 0..10 {
            let l: Vec<String> = (0..events)
                .map(|i| event(i, &format!("p{round}")))
                .collect();
            if what == "durable" {
                pipeline(&intake, &dir.join(format!("p{round}.db")), &l).await;
            } else {
                pipeline_without_store(&intake, &l).await;
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    // Warm up both paths (connections, page cache).
    bare(&base, &bodies[..200.min(events)]).await;
    pipeline(&intake, &dir.join("warm.db"), &lines[..200.min(events)]).await;

    let mut bare_rates = Vec::new();
    let mut pipe_rates = Vec::new();
    let mut null_rates = Vec::new();
    let (mut bare_cpu, mut pipe_cpu, mut null_cpu) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let t = Instant::now();
        let cpu = cpu_secs();
        bare(&base, &bodies).await;
        bare_cpu.push(cpu_us_each(cpu, events));
        bare_rates.push(events as f64 / t.elapsed().as_secs_f64());
        let round_lines: Vec<String> = (0..events)
            .map(|i| event(i, &format!("r{round}")))
            .collect();
        let before = hits.load(Ordering::SeqCst);
        let cpu = cpu_secs();
        null_rates.push(pipeline_without_store(&intake, &round_lines).await);
        null_cpu.push(cpu_us_each(cpu, events));
        assert_eq!(hits.load(Ordering::SeqCst) - before, events);
        let before = hits.load(Ordering::SeqCst);
        let db = dir.join(format!("run{round}.db"));
        let rt = open(&intake, &db).await;
        let cpu = cpu_secs();
        pipe_rates.push(drive(rt, &intake, &round_lines).await);
        pipe_cpu.push(cpu_us_each(cpu, events));
        assert_eq!(
            hits.load(Ordering::SeqCst) - before,
            events,
            "every request delivered"
        );
    }
    let bare_mid = median(&bare_rates);
    let pipe_mid = median(&pipe_rates);
    // Rounds are paired (same moment, same load from other processes): the median of
    // the per-round ratios is steadier than the ratio of medians.
    let ratios: Vec<f64> = pipe_rates
        .iter()
        .zip(&bare_rates)
        .map(|(p, b)| 100.0 * p / b)
        .collect();
    println!("events per round: {events}, concurrency {CONCURRENCY}, {ROUNDS} rounds (median shown, then every round)");
    println!("receiver answers at once:");
    println!("  bare reqwest:            {bare_mid:>8.0} deliveries/s  {bare_rates:.0?}");
    println!("  pipeline (durable log):  {pipe_mid:>8.0} deliveries/s  {pipe_rates:.0?}");
    println!(
        "  pipeline / bare:         {:>8.1} %  {ratios:.0?} (goal 70 %)",
        median(&ratios)
    );
    println!(
        "  engine + HTTP, no store: {:>8.0} deliveries/s  {null_rates:.0?} (for comparison)",
        median(&null_rates)
    );
    // CPU time of the whole process (client, receiver, engine, store) per delivery.
    // It still moves with the machine's state (tokio workers spin longer on idle
    // cores): compare within one run. When the cores are the limit, the rate ratio
    // approaches the inverse CPU ratio.
    let (bc, pc, nc) = (median(&bare_cpu), median(&pipe_cpu), median(&null_cpu));
    println!("  CPU per delivery (process, median): bare {bc:.1} us, pipeline {pc:.1} us, no store {nc:.1} us");
    println!(
        "  CPU-bound ratio (bare CPU / pipeline CPU): {:.1} %",
        100.0 * bc / pc
    );

    // Receivers that take a few milliseconds, like real services nearby: where the
    // cores are no longer the limit, the ratio shows the engine's own overhead.
    let slow_events = events.min(3_000);
    for ms in [1, 2, 5] {
        delay.store(ms, Ordering::SeqCst);
        let t = Instant::now();
        bare(&base, &bodies[..slow_events]).await;
        let bare_slow = slow_events as f64 / t.elapsed().as_secs_f64();
        let slow_lines: Vec<String> = (0..slow_events)
            .map(|i| event(i, &format!("slow{ms}")))
            .collect();
        let pipe_slow = pipeline(&intake, &dir.join(format!("slow{ms}.db")), &slow_lines).await;
        println!("receiver answers after {ms} ms ({slow_events} events):");
        println!("  bare reqwest:            {bare_slow:>8.0} deliveries/s");
        println!("  pipeline (durable log):  {pipe_slow:>8.0} deliveries/s");
        println!(
            "  pipeline / bare:         {:>8.1} %",
            100.0 * pipe_slow / bare_slow
        );
    }
    delay.store(0, Ordering::SeqCst);

    let (grouped, single) = log_rates(&dir.join("log.db"));
    println!("run log, group commit:   {grouped:>8.0} attempt rows/s (256 per transaction, synchronous=FULL)");
    println!("run log, one per commit: {single:>8.0} attempt rows/s");

    let (bare_lat, pipe_lat) = latency(&intake, &base, &hits, &dir.join("lat.db")).await;
    println!(
        "latency p50/p99, bare reqwest: {:.2} / {:.2} ms",
        pct(&bare_lat, 0.50),
        pct(&bare_lat, 0.99)
    );
    println!(
        "latency p50/p99, pipeline:     {:.2} / {:.2} ms (event in -> request at receiver)",
        pct(&pipe_lat, 0.50),
        pct(&pipe_lat, 0.99)
    );
    println!(
        "added latency p50/p99:         {:.2} / {:.2} ms",
        pct(&pipe_lat, 0.50) - pct(&bare_lat, 0.50),
        pct(&pipe_lat, 0.99) - pct(&bare_lat, 0.99)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const RULE: &str = r#"schema {
  field refund_amount: number
  secret TOKEN
  secret KEY
}

rule "bench" {
  when case.created
  if case.custom_fields.refund_amount > 0 then {
    post "BASE/hook/{{case.id}}" {
      header "Authorization" = "Bearer {{secrets.TOKEN}}"
      sign hmac-sha256 with secrets.KEY
      body {
        "case": "{{case.id}}",
        "human_id": "{{case.human_id}}",
        "tenant": "{{tenant.slug}}",
        "subject": "{{case.subject ?? ''}}",
        "amount": {{case.custom_fields.refund_amount}},
        "tags": {{case.tags}},
        "contact": { "id": "{{contact.id}}", "email": "{{contact.email ?? ''}}" }
      }
    }
  }
}
"#;

fn intake(base: &str) -> Intake {
    let mut sources = SourceMap::new();
    sources.add("bench.rule", RULE.replace("BASE", base));
    let fe = frontend::analyze(sources);
    assert!(!fe.has_errors(), "{:?}", fe.diagnostics);
    let plan = rulec::plan::compile(&fe.sources, &fe.files, &fe.checked.schema);
    Intake::new(
        plan,
        Secrets::from_pairs([("TOKEN", "tok-abcdef"), ("KEY", "signing-key")]),
    )
}

fn event(i: usize, prefix: &str) -> String {
    format!(
        r#"{{"id":"{prefix}_{i}","type":"case.created","at":"2026-05-10T14:03:00Z","tenant":{{"slug":"acme"}},"case":{{"id":"c_{i}","human_id":"ACME-{i}","status":"open","subject":"Refund \"{i}\"","tags":["VIP-Refund","Bug"],"custom_fields":{{"refund_amount":{i}.5}},"created_at":"2026-05-10T14:03:00Z","updated_at":"2026-05-10T14:03:00Z"}},"contact":{{"id":"ct_{i}","email":"x{i}@example.com"}}}}"#
    )
}

/// The (url, body) pairs the pipeline sends, for bare reqwest.
fn bodies(intake: &Intake, lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .flat_map(|l| intake.event(l).expect("valid event").executions)
        .flat_map(|e| e.actions)
        .map(|a| {
            (
                a.request.url.clone(),
                a.request.body.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// Deliveries per second through the durable pipeline. Opening (and creating) the store
/// is not timed: it happens once per process, not per delivery.
async fn pipeline(intake: &Intake, store: &std::path::Path, lines: &[String]) -> f64 {
    let rt = open(intake, store).await;
    drive(rt, intake, lines).await
}

async fn open(intake: &Intake, store: &std::path::Path) -> Runtime {
    Runtime::open_sqlite(store, intake.secret_values(), pipeline_options())
        .await
        .expect("store")
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
    (ticks(11) + ticks(12)) / 100.0
}

fn cpu_us_each(since: f64, deliveries: usize) -> f64 {
    (cpu_secs() - since) * 1e6 / deliveries as f64
}

fn pipeline_options() -> Options {
    Options {
        allow_private_targets: true,
        engine: EngineConfig {
            max_in_flight: CONCURRENCY,
            ..EngineConfig::default()
        },
        ..Options::default()
    }
}

/// The same pipeline over a store that keeps nothing: what the engine and HTTP cost
/// without the durable log.
async fn pipeline_without_store(intake: &Intake, lines: &[String]) -> f64 {
    let rt = Runtime::start(
        Box::new(NullStore::default()),
        intake.secret_values(),
        pipeline_options(),
    )
    .await
    .expect("start");
    drive(rt, intake, lines).await
}

/// Submits every event, waits until every attempt is committed; deliveries per second.
async fn drive(rt: Runtime, intake: &Intake, lines: &[String]) -> f64 {
    let started = Instant::now();
    for chunk in lines.chunks(512) {
        let batch = chunk
            .iter()
            .map(|l| intake.event(l).expect("valid event"))
            .collect();
        rt.submit(batch).await.expect("recorded");
    }
    if std::env::var_os("PIPELINE_PHASES").is_some() {
        eprintln!(
            "  recorded {} events in {:?}",
            lines.len(),
            started.elapsed()
        );
    }
    let report = rt.idle(Duration::from_secs(0)).await.expect("idle");
    assert!(report.pending.is_empty());
    rt.stop().await.expect("stop");
    lines.len() as f64 / started.elapsed().as_secs_f64()
}

async fn bare(_base: &str, bodies: &[(String, String)]) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client");
    let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (url, body) in bodies.iter().cloned() {
        let permit = sem.clone().acquire_owned().await.expect("semaphore");
        let client = client.clone();
        set.spawn(async move {
            let r = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("bare send");
            let _ = r.bytes().await;
            drop(permit);
        });
    }
    while set.join_next().await.is_some() {}
}

/// Attempt rows written per second, grouped 256 per transaction and one per commit.
fn log_rates(path: &std::path::Path) -> (f64, f64) {
    let mut store = SqliteStore::open(path).expect("store");
    let n = 4096;
    let lines: Vec<String> = (0..n).map(|i| event(i, "log")).collect();
    let intake = intake("http://127.0.0.1:9");
    let evs: Vec<_> = lines
        .iter()
        .map(|l| intake.event(l).expect("event"))
        .collect();
    let t = Instant::now();
    let recorded = store.record(&evs, 0, "w", 60_000).expect("record");
    let record_rate = n as f64 / t.elapsed().as_secs_f64();
    println!("run log, record only:    {record_rate:>8.0} events/s (event, execution, action; one transaction)");
    let ids: Vec<i64> = recorded
        .iter()
        .flat_map(|r| {
            r.created
                .iter()
                .flat_map(|e| e.actions.iter().map(|a| a.id))
        })
        .collect();
    let update = |id: i64, number: u32| Update::Attempt {
        action_id: id,
        attempt: AttemptRecord {
            number,
            request: RequestLog {
                method: "POST".into(),
                url: "http://127.0.0.1:9/hook".into(),
                headers: [("Authorization".to_string(), "Bearer ***".to_string())].into(),
                body: Some("{\"case\":\"c_1\",\"amount\":1.5}".into()),
            },
            response: None,
            error: Some("connection failed".into()),
            started_at: 0,
            duration_ms: 1,
        },
        status: Status::Pending,
        round_attempts: number,
        next_attempt_at: 0,
    };
    let t = Instant::now();
    for chunk in ids.chunks(256) {
        let batch: Vec<Update> = chunk.iter().map(|id| update(*id, 1)).collect();
        store.apply(&batch).expect("apply");
    }
    let grouped = ids.len() as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let few = &ids[..256];
    for id in few {
        store.apply(&[update(*id, 2)]).expect("apply");
    }
    let single = few.len() as f64 / t.elapsed().as_secs_f64();
    (grouped, single)
}

/// Per request, one at a time: bare send -> receiver, and event submitted -> receiver.
async fn latency(
    intake: &Intake,
    base: &str,
    hits: &AtomicUsize,
    store: &std::path::Path,
) -> (Vec<f64>, Vec<f64>) {
    let lines: Vec<String> = (0..LATENCY_SAMPLES).map(|i| event(i, "lat")).collect();
    let bodies = bodies(intake, &lines);
    let client = reqwest::Client::new();
    let mut bare_lat = Vec::new();
    for (url, body) in &bodies {
        let t = Instant::now();
        let before = hits.load(Ordering::SeqCst);
        let r = client
            .post(url)
            .body(body.clone())
            .send()
            .await
            .expect("send");
        let _ = r.bytes().await;
        assert!(hits.load(Ordering::SeqCst) > before);
        bare_lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = base;
    let options = Options {
        allow_private_targets: true,
        ..Options::default()
    };
    let rt = Runtime::open_sqlite(store, intake.secret_values(), options)
        .await
        .expect("store");
    let mut pipe_lat = Vec::new();
    for l in &lines {
        let before = hits.load(Ordering::SeqCst);
        let t = Instant::now();
        let ev = intake.event(l).expect("event");
        rt.submit(vec![ev]).await.expect("submit");
        while hits.load(Ordering::SeqCst) == before {
            tokio::task::yield_now().await;
        }
        pipe_lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    rt.idle(Duration::ZERO).await.expect("idle");
    rt.stop().await.expect("stop");
    (bare_lat, pipe_lat)
}

/// A receiver answering 200 after `delay` ms; counts the requests it has received.
async fn receiver() -> (String, Arc<AtomicUsize>, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let delay = Arc::new(AtomicU64::new(0));
    let (h, d) = (hits.clone(), delay.clone());
    let app = axum::Router::new().fallback(move |_body: axum::body::Bytes| {
        h.fetch_add(1, Ordering::SeqCst);
        let ms = d.load(Ordering::SeqCst);
        async move {
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits, delay)
}

fn median(v: &[f64]) -> f64 {
    pct(v, 0.5)
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

/// A store that records nothing durable: hands out ids and forgets results.
#[derive(Default)]
struct NullStore {
    next: i64,
}

impl RunStore for NullStore {
    fn record(
        &mut self,
        events: &[NewEvent],
        now: i64,
        _owner: &str,
        _lease_ms: i64,
    ) -> Result<Vec<Recorded>, StoreError> {
        let mut out = Vec::new();
        for ev in events {
            self.next += 1;
            let seq = self.next;
            let created = ev
                .executions
                .iter()
                .map(|e| StoredExecution {
                    id: e.id.clone(),
                    rule: e.rule.clone(),
                    event_id: e.event_id.clone(),
                    event_seq: seq,
                    case_id: e.case_id.clone(),
                    contact_id: e.contact_id.clone(),
                    branch: e.branch.clone(),
                    status: Status::Pending,
                    actions: e
                        .actions
                        .iter()
                        .map(|r| {
                            self.next += 1;
                            StoredAction {
                                id: self.next,
                                request: r.request.clone(),
                                receiver: r.receiver.clone(),
                                status: Status::Pending,
                                attempts: 0,
                                round_attempts: 0,
                                next_attempt_at: now,
                            }
                        })
                        .collect(),
                })
                .collect();
            out.push(Recorded {
                event_id: ev.id.clone(),
                created,
                skipped: 0,
            });
        }
        Ok(out)
    }
    fn claim_unfinished(
        &mut self,
        _: &str,
        _: i64,
        _: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        Ok(Vec::new())
    }
    fn apply(&mut self, _: &[Update]) -> Result<(), StoreError> {
        Ok(())
    }
    fn release(&mut self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    fn release_all(&mut self) -> Result<usize, StoreError> {
        Ok(0)
    }
    fn prepare_rerun(
        &mut self,
        _: &str,
        _: bool,
        _: i64,
        _: &str,
        _: i64,
    ) -> Result<Option<StoredExecution>, StoreError> {
        Ok(None)
    }
    fn execution(&self, _: &str) -> Result<Option<StoredExecution>, StoreError> {
        Ok(None)
    }
    fn list(&self, _: &ListFilter) -> Result<Vec<ExecutionSummary>, StoreError> {
        Ok(Vec::new())
    }
    fn show(&self, _: &str) -> Result<Option<ExecutionDetail>, StoreError> {
        Ok(None)
    }
}
