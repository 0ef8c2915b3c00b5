//! `rulec demo`: the examples, checked, compiled, run against a local receiver that
//! verifies signatures and fails one request once, then the run log.
//!
//! The example rules and events are embedded, so the demo works from any directory.
//! Their URLs are redirected to the local receiver (`https://host/path` becomes
//! `http://127.0.0.1:PORT/host/path`) after evaluation, so the checked rules are the
//! examples as written.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use miette::miette;

use super::run::tokio_runtime;
use super::{frontend, runlog, DemoArgs, EXIT_OK};
use crate::runtime::intake::Intake;
use crate::runtime::store::{ListFilter, NewAction, NewEvent, RunStore, SqliteStore};
use crate::runtime::{EngineConfig, Options, Runtime};
use crate::secrets::Secrets;
use crate::source::SourceMap;
use crate::vm::effect::{SignKind, SignSpec};
use crate::vm::split_events;

/// The example rule files, as shipped in `examples/`.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "examples/by_tag.rule",
        include_str!("../../examples/by_tag.rule"),
    ),
    (
        "examples/custom_field_gate.rule",
        include_str!("../../examples/custom_field_gate.rule"),
    ),
    (
        "examples/finance.rule",
        include_str!("../../examples/finance.rule"),
    ),
    (
        "examples/multi_target.rule",
        include_str!("../../examples/multi_target.rule"),
    ),
    (
        "examples/signed.rule",
        include_str!("../../examples/signed.rule"),
    ),
    (
        "examples/transcript_link.rule",
        include_str!("../../examples/transcript_link.rule"),
    ),
];

/// The example events, as shipped in `examples/events.jsonl`.
const EXAMPLE_EVENTS: &str = include_str!("../../examples/events.jsonl");

/// Added by the demo to show the rest of the runtime: a second closing of case
/// `c_1042` within the hour (suppressed by the per-case throttle) and an event missing a
/// required field (rejected). The first example event is then sent again (skipped as a
/// duplicate).
const DEMO_EVENTS: &str = r#"{"id":"evt_demo_again","type":"case.closed","at":"2026-05-10T14:09:00Z","tenant":{"slug":"acme"},"case":{"id":"c_1042","human_id":"ACME-1042","status":"closed","tags":["VIP-Refund"],"custom_fields":{"refund_amount":20,"order_id":"77"},"created_at":"2026-05-09T09:00:00Z","updated_at":"2026-05-10T14:09:00Z","closed_at":"2026-05-10T14:09:00Z"},"contact":{"id":"ct_9"}}
{"id":"evt_demo_bad","type":"case.closed","at":"2026-05-10T14:10:00Z","tenant":{"slug":"acme"},"case":{"human_id":"ACME-9","status":"closed","tags":[],"custom_fields":{},"created_at":"2026-05-09T09:00:00Z","updated_at":"2026-05-10T14:10:00Z","closed_at":"2026-05-10T14:10:00Z"},"contact":{"id":"ct_1"}}
"#;

/// The examples' events, the demo's, and the first example event once more.
fn demo_events() -> String {
    let first = EXAMPLE_EVENTS
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    format!("{}\n{DEMO_EVENTS}{first}\n", EXAMPLE_EVENTS.trim_end())
}

/// Retry delays are shortened this much so the demo's retry happens at once.
const TIME_SCALE: f64 = 0.01;

/// Runs `rulec demo`.
pub fn run(args: &DemoArgs) -> miette::Result<i32> {
    let mut sources = SourceMap::new();
    for (path, text) in EXAMPLES {
        sources.add(*path, *text);
    }
    let fe = frontend::analyze(sources);
    println!("== check: {} example files", EXAMPLES.len());
    if let Err(code) = frontend::require_no_errors(&fe) {
        return Ok(code);
    }
    println!("   {}", super::render::summary(&fe.diagnostics));
    let plan = crate::plan::compile(&fe.sources, &fe.files, &fe.checked.schema);
    let names = plan.secret_names();
    println!("== plan: compiled; secrets needed: {}", names.join(", "));
    let secrets: Vec<(String, String)> =
        names.iter().map(|n| (n.clone(), demo_secret(n))).collect();
    let intake = Intake::new(plan, Secrets::from_pairs(secrets.clone()));
    let (store, temp) = match &args.store {
        Some(p) => (p.clone(), None),
        None => {
            let dir = std::env::temp_dir().join(format!(
                "rulec-demo-{}-{:08x}",
                std::process::id(),
                fastrand::u32(..)
            ));
            (dir.join("runs.db"), Some(dir))
        }
    };
    let result = tokio_runtime()?.block_on(run_demo(intake, secrets, store.clone()));
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        println!("\nrun store kept at `{}`", store.display());
    }
    result
}

async fn run_demo(
    intake: Intake,
    secrets: Vec<(String, String)>,
    store: PathBuf,
) -> miette::Result<i32> {
    let receiver = start_receiver(Arc::new(secrets)).await?;
    println!("== receiver: {receiver} (verifies signatures; answers 500 to its first request)");
    let options = Options {
        allow_private_targets: true,
        engine: EngineConfig {
            time_scale: TIME_SCALE,
            ..EngineConfig::default()
        },
        ..Options::default()
    };
    let rt = Runtime::open_sqlite(&store, intake.secret_values(), options)
        .await
        .map_err(|e| miette!("{e}"))?;
    println!("== run: examples/events.jsonl and 3 demo events (retry delays shortened 100x)");
    let events = demo_events();
    let mut batch: Vec<NewEvent> = Vec::new();
    for (line, json) in split_events(&events) {
        match intake.event(json) {
            Ok(mut ev) => {
                redirect(&mut ev, &receiver);
                batch.push(ev);
            }
            Err(e) => println!("   events:{line}: event rejected: {e}"),
        }
    }
    let mut skipped = 0;
    for ev in batch {
        // One event per transaction, as a helpdesk would send them.
        let recorded = rt.submit(vec![ev]).await.map_err(|e| miette!("{e}"))?;
        skipped += recorded.iter().map(|r| r.skipped).sum::<usize>();
    }
    if skipped > 0 {
        println!(
            "   skipped {skipped} execution(s) already in the run store (same rule and event id)"
        );
    }
    rt.idle(Duration::from_secs(10))
        .await
        .map_err(|e| miette!("{e}"))?;
    rt.stop().await.map_err(|e| miette!("{e}"))?;
    print_log(&store)?;
    Ok(EXIT_OK)
}

/// A demo value for a secret: `whsec_` + base64, valid for both signing schemes.
fn demo_secret(name: &str) -> String {
    let key = format!("rulec-demo-key-for-{name}");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
    )
}

/// Points every request of the event at the local receiver, keeping host and path.
fn redirect(ev: &mut NewEvent, base: &str) {
    for exec in &mut ev.executions {
        for a in &mut exec.actions {
            if let Ok(u) = reqwest::Url::parse(&a.request.url) {
                let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
                let mut request = (*a.request).clone();
                request.url = format!("{base}/{}{}{query}", u.host_str().unwrap_or(""), u.path());
                *a = NewAction::new(request);
            }
        }
    }
}

fn print_log(store: &std::path::Path) -> miette::Result<()> {
    let s = SqliteStore::open(store).map_err(|e| miette!("{e}"))?;
    let mut rows = s.list(&ListFilter::default()).map_err(|e| miette!("{e}"))?;
    println!("\n== run log (`rulec runs list`)\n");
    print!("{}", runlog::list_table(&rows));
    rows.reverse();
    for r in rows {
        if let Some(d) = s.show(&r.id).map_err(|e| miette!("{e}"))? {
            println!("\n== `rulec runs show {}`\n", r.id);
            print!("{}", runlog::execution_page(&d));
        }
    }
    Ok(())
}

/// Starts the receiver on 127.0.0.1:0; returns its base URL.
async fn start_receiver(secrets: Arc<Vec<(String, String)>>) -> miette::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| miette!("cannot start the demo receiver: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| miette!("cannot start the demo receiver: {e}"))?;
    let count = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: String| {
        let secrets = secrets.clone();
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let verdict = verify(&secrets, &headers, body.as_bytes());
            let status = if n == 1 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            println!(
                "   receiver <- {}  {verdict}  -> {}",
                uri.path(),
                status.as_u16()
            );
            let reply = if n == 1 {
                r#"{"error":"temporarily unavailable"}"#
            } else {
                r#"{"ok":true}"#
            };
            (status, [("content-type", "application/json")], reply)
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

/// Checks a request's signature with the demo secrets, the way a receiver would.
fn verify(secrets: &[(String, String)], headers: &HeaderMap, body: &[u8]) -> String {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(sig) = headers
        .get("webhook-signature")
        .and_then(|v| v.to_str().ok())
    {
        let ts: i64 = get("webhook-timestamp").parse().unwrap_or(0);
        let spec = SignSpec {
            scheme: SignKind::StandardWebhooks,
            secret: String::new(),
        };
        let ok = secrets.iter().any(|(_, s)| {
            crate::sign::signature_headers(&spec, s, body, get("webhook-id"), ts)
                .is_ok_and(|h| h.iter().any(|(n, v)| n == "webhook-signature" && v == sig))
        });
        return format!(
            "standard-webhooks signature {}",
            if ok { "ok" } else { "BAD" }
        );
    }
    for (name, value) in headers {
        if !name.as_str().ends_with("signature") {
            continue;
        }
        let spec = SignSpec {
            scheme: SignKind::HmacSha256 {
                header: name.as_str().to_string(),
            },
            secret: String::new(),
        };
        let ok = secrets.iter().any(|(_, s)| {
            crate::sign::signature_headers(&spec, s, body, "", 0)
                .is_ok_and(|h| h.iter().any(|(_, v)| value.to_str().is_ok_and(|x| x == v)))
        });
        return format!("hmac-sha256 signature {}", if ok { "ok" } else { "BAD" });
    }
    "unsigned".to_string()
}
