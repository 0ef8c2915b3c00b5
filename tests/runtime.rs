//! Delivery semantics against a real scripted HTTP receiver on 127.0.0.1.

mod runtime_support;

use std::path::Path;
use std::time::{Duration, Instant};

use rulec::ast::ThrottleKey;
use rulec::runtime::store::{ExecutionDetail, NewEvent, RunStore, SecretValues, Status};
use rulec::runtime::{EngineConfig, Options, Report, Runtime};
use rulec::vm::effect::{Execution, RetryPolicy, Step, ThrottleSpec};
use runtime_support::*;

/// Private targets allowed (the receiver is on loopback), retry delays scaled down 1000×.
fn options() -> Options {
    Options {
        allow_private_targets: true,
        engine: EngineConfig {
            time_scale: 0.001,
            ..EngineConfig::default()
        },
        ..Options::default()
    }
}

fn events(execs: &[Execution]) -> Vec<NewEvent> {
    execs
        .iter()
        .map(|e| {
            event(
                &e.event_id,
                std::slice::from_ref(e),
                &SecretValues::default(),
            )
        })
        .collect()
}

/// Runs `execs` (one event each) to idle and returns the report and each execution.
async fn deliver(
    path: &Path,
    opts: Options,
    execs: &[Execution],
) -> (Report, Vec<ExecutionDetail>) {
    let rt = Runtime::open_sqlite(path, SecretValues::default(), opts)
        .await
        .unwrap();
    let recorded = rt.submit(events(execs)).await.unwrap();
    let report = rt.idle(Duration::from_secs(30)).await.unwrap();
    rt.stop().await.unwrap();
    let ids: Vec<String> = recorded
        .iter()
        .flat_map(|r| r.created.iter().map(|e| e.id.clone()))
        .collect();
    let store = rulec::runtime::store::SqliteStore::open(path).unwrap();
    let shown = ids
        .iter()
        .map(|id| store.show(id).unwrap().unwrap())
        .collect();
    (report, shown)
}

fn store_path() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    (dir, path)
}

#[tokio::test]
async fn a_2xx_response_succeeds_at_once() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/hook"), RetryPolicy::Default);
    let (report, shown) = deliver(&path, options(), &[e]).await;
    assert!(report.pending.is_empty());
    assert_eq!(shown[0].status, Status::Succeeded);
    let attempts = &shown[0].actions[0].attempts;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].response.as_ref().unwrap().status, 200);
    let seen = rx.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, r#"{"event":"e1","position":1}"#);
    assert_eq!(seen[0].headers["content-type"], "application/json");
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_idempotency_key() {
    let rx = Receiver::start(|s| Reply::status(if s.nth < 3 { 500 } else { 200 })).await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/hook"), RetryPolicy::Default);
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Succeeded);
    let statuses: Vec<u16> = shown[0].actions[0]
        .attempts
        .iter()
        .map(|a| a.response.as_ref().unwrap().status)
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
    let keys: Vec<String> = rx
        .seen()
        .iter()
        .map(|s| s.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k == &keys[0] && k.starts_with("msg_")));
}

#[tokio::test]
async fn a_4xx_fails_at_once_and_its_body_is_kept() {
    let rx = Receiver::start(|_| {
        Reply::status(400)
            .header("content-type", "application/json")
            .body(r#"{"error":"missing field refund_amount"}"#)
    })
    .await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/hook"), RetryPolicy::Default);
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Failed);
    let attempts = &shown[0].actions[0].attempts;
    assert_eq!(attempts.len(), 1);
    let resp = attempts[0].response.as_ref().unwrap();
    assert_eq!(resp.body, r#"{"error":"missing field refund_amount"}"#);
    assert_eq!(resp.headers["content-type"], "application/json");
    assert_eq!(rx.seen().len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let rx = Receiver::start(|s| {
        if s.nth == 1 {
            Reply::status(429).header("retry-after", "1")
        } else {
            Reply::status(200)
        }
    })
    .await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/hook"), RetryPolicy::Default);
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Succeeded);
    let seen = rx.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    // The scaled schedule would retry after 5 ms; Retry-After asks for a second.
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_is_a_timeout() {
    let rx = Receiver::start(|_| Reply::status(200).delay(Duration::from_secs(3))).await;
    let (_d, path) = store_path();
    let mut e = single("r", "e1", "c1", &rx.url("/slow"), RetryPolicy::Never);
    if let Step::One(r) = &mut e.steps[0] {
        r.timeout_secs = 1;
    }
    let started = Instant::now();
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert!(started.elapsed() < Duration::from_millis(2900));
    assert_eq!(shown[0].status, Status::Failed);
    let a = &shown[0].actions[0].attempts[0];
    assert!(a.response.is_none());
    assert_eq!(a.error.as_deref(), Some("timed out after 1 s"));
}

#[tokio::test]
async fn connection_refused_is_retried_then_given_up() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (_d, path) = store_path();
    let url = format!("http://127.0.0.1:{port}/hook");
    let e = single("r", "e1", "c1", &url, RetryPolicy::Times(2));
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Failed);
    let attempts = &shown[0].actions[0].attempts;
    assert_eq!(attempts.len(), 2);
    let err = attempts[1].error.as_deref().unwrap();
    assert!(err.starts_with("connection failed:"), "{err}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let rx = Receiver::start(|s| {
        if s.path == "/old" {
            Reply::status(301).header("location", "/new")
        } else {
            Reply::status(200)
        }
    })
    .await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/old"), RetryPolicy::Default);
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Failed);
    assert_eq!(shown[0].actions[0].attempts.len(), 1);
    assert!(rx.seen_on("/new").is_empty());
}

#[tokio::test]
async fn the_abort_header_fails_at_once() {
    let rx =
        Receiver::start(|_| Reply::status(503).header("webhook-delivery", "abort-message")).await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/hook"), RetryPolicy::Default);
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Failed);
    assert_eq!(rx.seen().len(), 1);
}

#[tokio::test]
async fn a_slow_receiver_does_not_hold_up_a_fast_one() {
    let slow = Receiver::start(|_| Reply::status(200).delay(Duration::from_millis(1500))).await;
    let fast = Receiver::ok().await;
    let (_d, path) = store_path();
    // Same case, the slow receiver's event first.
    let a = single("r", "e1", "c1", &slow.url("/s"), RetryPolicy::Default);
    let b = single("r", "e2", "c1", &fast.url("/f"), RetryPolicy::Default);
    let started = Instant::now();
    let rt = Runtime::open_sqlite(&path, SecretValues::default(), options())
        .await
        .unwrap();
    rt.submit(events(&[a, b])).await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), async {
        while fast.seen().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the fast receiver was held up by the slow one");
    assert!(started.elapsed() < Duration::from_millis(1000));
    rt.idle(Duration::from_secs(30)).await.unwrap();
    rt.stop().await.unwrap();
    assert_eq!(slow.seen().len(), 1);
}

#[tokio::test]
async fn per_case_and_receiver_requests_go_in_event_order_even_through_retries() {
    // The first request of case c1 fails twice; c1's later events wait for it, c2 does not.
    let rx = Receiver::start(|s| {
        let first_of_c1 = s.body.contains(r#""event":"e1""#);
        Reply::status(if first_of_c1 && s.nth <= 2 { 500 } else { 200 })
    })
    .await;
    let (_d, path) = store_path();
    let execs = [
        single("r", "e1", "c1", &rx.url("/c1"), RetryPolicy::Default),
        single("r", "e2", "c2", &rx.url("/c2"), RetryPolicy::Default),
        single("r", "e3", "c1", &rx.url("/c1"), RetryPolicy::Default),
        single("r", "e4", "c1", &rx.url("/c1"), RetryPolicy::Default),
    ];
    let (_, shown) = deliver(&path, options(), &execs).await;
    assert!(shown.iter().all(|e| e.status == Status::Succeeded));
    let c1: Vec<String> = rx
        .seen_on("/c1")
        .iter()
        .map(|s| s.body[10..12].to_string())
        .collect();
    assert_eq!(c1, ["e1", "e1", "e1", "e3", "e4"]);
    let seen = rx.seen();
    let c2_at = seen.iter().position(|s| s.path == "/c2").unwrap();
    let c1_ok = seen
        .iter()
        .position(|s| s.path == "/c1" && s.nth == 3)
        .unwrap();
    assert!(c2_at < c1_ok, "case c2 waited for case c1");
}

#[tokio::test]
async fn sequence_steps_wait_and_a_failure_does_not_stop_later_ones() {
    let rx = Receiver::start(|s| Reply::status(if s.path == "/bad" { 400 } else { 200 })).await;
    let (_d, path) = store_path();
    let req = |pos, p: &str| request("r", "e1", pos, &rx.url(p), RetryPolicy::Default);
    let e = execution(
        "r",
        "e1",
        "c1",
        vec![
            Step::One(req(1, "/bad")),
            Step::Parallel(vec![req(2, "/p1"), req(3, "/p2")]),
            Step::One(req(4, "/last")),
        ],
    );
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Failed);
    let order: Vec<String> = rx.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(order[0], "/bad");
    assert_eq!(order[3], "/last");
    let statuses: Vec<Status> = shown[0].actions.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Failed,
            Status::Succeeded,
            Status::Succeeded,
            Status::Succeeded
        ]
    );
}

#[tokio::test]
async fn a_keyed_throttle_suppresses_and_sends_nothing() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let t = ThrottleSpec {
        key: Some(ThrottleKey::Case),
        limit: 1,
        window_secs: 3600,
    };
    let execs = [
        with_throttle(
            single("r", "e1", "c1", &rx.url("/h"), RetryPolicy::Default),
            t,
        ),
        with_throttle(
            single("r", "e2", "c1", &rx.url("/h"), RetryPolicy::Default),
            t,
        ),
        with_throttle(
            single("r", "e3", "c2", &rx.url("/h"), RetryPolicy::Default),
            t,
        ),
    ];
    let (_, shown) = deliver(&path, options(), &execs).await;
    let statuses: Vec<Status> = shown.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [Status::Succeeded, Status::Suppressed, Status::Succeeded]
    );
    assert_eq!(rx.seen().len(), 2);
    assert!(shown[1].actions[0].attempts.is_empty());
}

#[tokio::test]
async fn a_global_throttle_delays_in_event_order_and_drops_nothing() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let t = ThrottleSpec {
        key: None,
        limit: 2,
        window_secs: 1,
    };
    let execs: Vec<Execution> = (1..=5)
        .map(|i| {
            let e = single(
                "r",
                &format!("e{i}"),
                &format!("c{i}"),
                &rx.url("/h"),
                RetryPolicy::Default,
            );
            with_throttle(e, t)
        })
        .collect();
    let (_, shown) = deliver(&path, options(), &execs).await;
    assert!(shown.iter().all(|e| e.status == Status::Succeeded));
    let seen = rx.seen();
    assert_eq!(seen.len(), 5);
    let t0 = seen[0].at;
    let order: Vec<&str> = seen.iter().map(|s| &s.body[10..12]).collect();
    assert_eq!(&order[2..], ["e3", "e4", "e5"]);
    let offsets: Vec<u128> = seen.iter().map(|s| (s.at - t0).as_millis()).collect();
    assert!(
        offsets[1] < 500 && offsets[2] >= 950 && offsets[3] >= 950,
        "{offsets:?}"
    );
    assert!(offsets[4] >= 1950, "{offsets:?}");
}

#[tokio::test]
async fn the_same_events_twice_are_delivered_once() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let execs = [
        single("r", "e1", "c1", &rx.url("/h"), RetryPolicy::Default),
        single("r", "e2", "c2", &rx.url("/h"), RetryPolicy::Default),
    ];
    deliver(&path, options(), &execs).await;
    let rt = Runtime::open_sqlite(&path, SecretValues::default(), options())
        .await
        .unwrap();
    let again = rt.submit(events(&execs)).await.unwrap();
    rt.idle(Duration::from_secs(5)).await.unwrap();
    rt.stop().await.unwrap();
    assert_eq!(again.iter().map(|r| r.skipped).sum::<usize>(), 2);
    assert!(again.iter().all(|r| r.created.is_empty()));
    assert_eq!(rx.seen().len(), 2);
}

#[tokio::test]
async fn private_targets_are_refused_by_default_without_retries() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let port = rx.base.rsplit(':').next().unwrap().to_string();
    let execs = [
        single("r", "e1", "c1", &rx.url("/h"), RetryPolicy::Default),
        single(
            "r",
            "e2",
            "c2",
            &format!("http://localhost:{port}/h"),
            RetryPolicy::Default,
        ),
    ];
    let opts = Options {
        allow_private_targets: false,
        ..options()
    };
    let (_, shown) = deliver(&path, opts, &execs).await;
    for e in &shown {
        assert_eq!(e.status, Status::Failed);
        let attempts = &e.actions[0].attempts;
        assert_eq!(attempts.len(), 1);
        let err = attempts[0].error.as_deref().unwrap();
        assert!(
            err.contains("loopback") && err.contains("--allow-private-targets"),
            "{err}"
        );
    }
    assert!(rx.seen().is_empty());
}

#[tokio::test]
async fn retries_further_than_wait_are_left_pending_and_resumed_later() {
    let rx = Receiver::start(|s| Reply::status(if s.nth == 1 { 503 } else { 200 })).await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/h"), RetryPolicy::Default);
    // The first retry comes after 5 s × 0.3 = 1.5 s, beyond `--wait 1`.
    let slow_schedule = Options {
        engine: EngineConfig {
            time_scale: 0.3,
            ..EngineConfig::default()
        },
        ..options()
    };
    let rt = Runtime::open_sqlite(&path, SecretValues::default(), slow_schedule)
        .await
        .unwrap();
    rt.submit(events(&[e])).await.unwrap();
    let report = rt.idle(Duration::from_secs(1)).await.unwrap();
    rt.stop().await.unwrap();
    assert_eq!(report.pending.len(), 1, "the retry is beyond --wait 1");
    assert_eq!(rx.seen().len(), 1);
    // The next runner resumes it (at its time; the scaled schedule makes that now-ish).
    let rt = Runtime::open_sqlite(&path, SecretValues::default(), options())
        .await
        .unwrap();
    assert_eq!(rt.resumed, 1);
    let report = rt.idle(Duration::from_secs(10)).await.unwrap();
    rt.stop().await.unwrap();
    assert!(report.pending.is_empty());
    assert_eq!(report.finished[0].1, Status::Succeeded);
    assert_eq!(rx.seen().len(), 2);
}

#[tokio::test]
async fn a_secret_echoed_by_the_receiver_is_redacted_in_the_run_log() {
    let rx = Receiver::start(|s| {
        let auth = s.headers.get("authorization").cloned().unwrap_or_default();
        Reply::status(401)
            .header("x-echo", &auth)
            .body(&format!("bad token: {auth}"))
    })
    .await;
    let (_d, path) = store_path();
    let secrets = SecretValues::new([("TOKEN".to_string(), "tok-very-secret".to_string())]);
    let mut e = single("r", "e1", "c1", &rx.url("/h"), RetryPolicy::Default);
    if let Step::One(r) = &mut e.steps[0] {
        r.headers
            .push(("Authorization".into(), "Bearer tok-very-secret".into()));
    }
    let rt = Runtime::open_sqlite(&path, secrets.clone(), options())
        .await
        .unwrap();
    let recorded = rt.submit(vec![event("e1", &[e], &secrets)]).await.unwrap();
    rt.idle(Duration::from_secs(5)).await.unwrap();
    rt.stop().await.unwrap();
    assert_eq!(
        rx.seen()[0].headers["authorization"],
        "Bearer tok-very-secret"
    );
    let store = rulec::runtime::store::SqliteStore::open(&path).unwrap();
    let shown = store.show(&recorded[0].created[0].id).unwrap().unwrap();
    let a = &shown.actions[0].attempts[0];
    assert_eq!(a.request.headers["Authorization"], "Bearer ***");
    let resp = a.response.as_ref().unwrap();
    assert_eq!(resp.body, "bad token: Bearer ***");
    assert_eq!(resp.headers["x-echo"], "Bearer ***");
}

#[tokio::test]
async fn only_the_first_64_kib_of_a_response_body_is_kept() {
    // 100 001 bytes; the cut at 65 536 falls inside a two-byte character.
    let big = format!("a{}", "é".repeat(50_000));
    let rx = Receiver::start(move |_| Reply::status(200).body(&big)).await;
    let (_d, path) = store_path();
    let e = single("r", "e1", "c1", &rx.url("/h"), RetryPolicy::Default);
    let (_, shown) = deliver(&path, options(), &[e]).await;
    let body = &shown[0].actions[0].attempts[0]
        .response
        .as_ref()
        .unwrap()
        .body;
    assert!(body.starts_with("aéé"));
    // `a`, 32 767 whole characters, then the half character replaced.
    assert_eq!(body.chars().count(), 32_769);
    assert!(body.ends_with('\u{FFFD}'));
}

#[tokio::test]
async fn an_action_that_failed_to_render_is_never_sent_not_even_on_rerun() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let mut e = single("r", "e1", "c1", &rx.url("/hook"), RetryPolicy::Default);
    if let Step::One(req) = &mut e.steps[0] {
        req.error = Some("header `X` holds a line break once rendered".into());
    }
    let (_, shown) = deliver(&path, options(), &[e]).await;
    assert_eq!(shown[0].status, Status::Failed);
    let id = shown[0].id.clone();

    let rt = Runtime::open_sqlite(&path, SecretValues::default(), options())
        .await
        .unwrap();
    rt.rerun(&id, false).await.unwrap().unwrap();
    rt.idle(Duration::from_secs(10)).await.unwrap();
    rt.stop().await.unwrap();
    let store = rulec::runtime::store::SqliteStore::open(&path).unwrap();
    let after = store.show(&id).unwrap().unwrap();
    assert_eq!(after.status, Status::Failed);
    let attempts = &after.actions[0].attempts;
    assert!(attempts.iter().all(
        |a| a.error.as_deref().is_some_and(|e| e.contains("line break")) && a.response.is_none()
    ));
    assert!(rx.seen().is_empty(), "sent: {:?}", rx.seen().len());
}

/// A report lists what finished since the previous one, so a long run's list does not
/// grow without end, and a server can turn the list off.
#[tokio::test]
async fn each_report_holds_what_finished_since_the_last_one() {
    let rx = Receiver::ok().await;
    let (_d, path) = store_path();
    let rt = Runtime::open_sqlite(&path, SecretValues::default(), options())
        .await
        .unwrap();
    for ev in ["e1", "e2"] {
        let e = single("r", ev, "c1", &rx.url("/hook"), RetryPolicy::Default);
        rt.submit(events(&[e])).await.unwrap();
        let report = rt.idle(Duration::from_secs(10)).await.unwrap();
        assert_eq!(
            report.finished.len(),
            1,
            "after {ev}: {:?}",
            report.finished
        );
    }
    assert!(rt.stop().await.unwrap().finished.is_empty());

    let (_d, path) = store_path();
    let mut quiet = options();
    quiet.engine.report_finished = false;
    let rt = Runtime::open_sqlite(&path, SecretValues::default(), quiet)
        .await
        .unwrap();
    let e = single("r", "e3", "c1", &rx.url("/hook"), RetryPolicy::Default);
    rt.submit(events(&[e])).await.unwrap();
    assert!(rt
        .idle(Duration::from_secs(10))
        .await
        .unwrap()
        .finished
        .is_empty());
    rt.stop().await.unwrap();
    assert_eq!(rx.seen().len(), 3);
}
