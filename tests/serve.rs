//! `rulec serve` with the real binary: intake, run log over HTTP, graceful shutdown.

mod runtime_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runtime_support::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rulec");

fn created(id: &str, case: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"case.created","at":"2026-05-10T14:03:00Z","tenant":{{"slug":"acme"}},"case":{{"id":"{case}","human_id":"H-1","status":"open","tags":[],"custom_fields":{{}},"created_at":"2026-05-10T14:03:00Z","updated_at":"2026-05-10T14:03:00Z"}},"contact":{{"id":"ct_1"}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_events_shows_runs_and_stops_cleanly_on_sigterm() {
    let rx = Receiver::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("serve.rule");
    std::fs::write(
        &rules,
        format!(
            "rule \"served\" {{\n  when case.created\n  post \"{}/hook\" {{\n    body {{ \"event\": \"{{{{event.id}}}}\" }}\n  }}\n}}\n",
            rx.base
        ),
    )
    .unwrap();
    let store = dir.path().join("runs.db");
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg(&rules)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--allow-private-targets",
            "--store",
        ])
        .arg(&store)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (base, lines) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(addr) = line.strip_prefix("listening on ") {
                return (addr.to_string(), lines);
            }
        }
        panic!("serve did not start");
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();

    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let body = format!(
        "{}\n{{\"id\":\"bad\"}}\n{}\n",
        created("e1", "c1"),
        created("e2", "c2")
    );
    let resp = http
        .post(format!("{base}/events"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let answer: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(answer["accepted"], serde_json::json!(["e1", "e2"]));
    assert_eq!(answer["rejected"][0]["line"], 2);
    assert!(answer["rejected"][0]["error"]
        .as_str()
        .unwrap()
        .contains("`"));

    let deadline = Instant::now() + Duration::from_secs(10);
    let rows: Vec<Value> = loop {
        let text = http
            .get(format!("{base}/runs"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let rows: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if rows.len() == 2 && rows.iter().all(|r| r["status"] == "succeeded") {
            break rows;
        }
        assert!(Instant::now() < deadline, "not delivered: {text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(rx.seen().len(), 2);
    let id = rows[0]["id"].as_str().unwrap();
    let detail = http.get(format!("{base}/runs/{id}")).send().await.unwrap();
    let detail: Value = serde_json::from_str(&detail.text().await.unwrap()).unwrap();
    assert_eq!(
        detail["actions"][0]["attempts"][0]["response"]["status"],
        200
    );
    let missing = http
        .get(format!("{base}/runs/ex_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || {
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        (child.wait().unwrap(), rest)
    })
    .await
    .unwrap();
    assert_eq!(exit.0.code(), Some(0), "{:?}", exit.1);
    assert!(
        exit.1.iter().any(|l| l.starts_with("stopped")),
        "{:?}",
        exit.1
    );
}
