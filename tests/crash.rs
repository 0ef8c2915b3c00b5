//! Crash safety with the real binary: SIGKILL `rulec run` while requests are in flight,
//! start it again on the same store, and every action is delivered, each with one
//! Idempotency-Key, none lost, the run log complete.

mod runtime_support;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runtime_support::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rulec");
const EVENTS: usize = 60;

fn created(i: usize) -> String {
    format!(
        r#"{{"id":"evt_{i}","type":"case.created","at":"2026-05-10T14:03:00Z","tenant":{{"slug":"acme"}},"case":{{"id":"c_{}","human_id":"H-{i}","status":"open","tags":[],"custom_fields":{{}},"created_at":"2026-05-10T14:03:00Z","updated_at":"2026-05-10T14:03:00Z"}},"contact":{{"id":"ct_1"}}}}"#,
        i % 7
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_and_delivers_everything_exactly_by_key() {
    // Slow answers keep requests in flight when the process is killed.
    let rx = Receiver::start(|_| Reply::status(200).delay(Duration::from_millis(300))).await;
    let dir = tempfile::tempdir().unwrap();
    let rule = format!(
        "rule \"crash\" {{\n  when case.created\n  post \"{}/hook\" {{\n    body {{ \"event\": \"{{{{event.id}}}}\", \"case\": \"{{{{case.id}}}}\" }}\n  }}\n}}\n",
        rx.base
    );
    let rules = dir.path().join("crash.rule");
    std::fs::write(&rules, rule).unwrap();
    let events = dir.path().join("events.jsonl");
    let lines: Vec<String> = (0..EVENTS).map(created).collect();
    std::fs::write(&events, lines.join("\n")).unwrap();
    let store = dir.path().join("runs.db");
    let args = [
        "run".to_string(),
        rules.display().to_string(),
        "--events".into(),
        events.display().to_string(),
        "--store".into(),
        store.display().to_string(),
        "--allow-private-targets".into(),
    ];

    let mut child = Command::new(BIN)
        .args(&args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while rx.seen().len() < 3 {
        assert!(Instant::now() < deadline, "no request arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = rx.seen().len();
    assert!(before < 2 * EVENTS);

    let out = tokio::task::spawn_blocking({
        let args = args.clone();
        move || Command::new(BIN).args(&args).output().unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("resuming"), "{err}");

    // Every event reached the receiver; every request of one event had one key, and
    // keys differ between events.
    let mut keys: HashMap<String, HashSet<String>> = HashMap::new();
    for s in rx.seen() {
        let body: Value = serde_json::from_str(&s.body).unwrap();
        keys.entry(body["event"].as_str().unwrap().to_string())
            .or_default()
            .insert(s.headers["idempotency-key"].clone());
    }
    assert_eq!(keys.len(), EVENTS, "an event was lost");
    assert!(keys.values().all(|k| k.len() == 1));
    let distinct: HashSet<&String> = keys.values().flatten().collect();
    assert_eq!(distinct.len(), EVENTS);

    // The run log holds every execution, succeeded, with a 200 as its last attempt.
    let list = Command::new(BIN)
        .args(["runs", "list", "--format", "json", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let rows: Vec<Value> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), EVENTS);
    assert!(rows.iter().all(|r| r["status"] == "succeeded"), "{rows:?}");
    let id = rows[0]["id"].as_str().unwrap();
    let show = Command::new(BIN)
        .args(["runs", "show", id, "--format", "json", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let detail: Value = serde_json::from_slice(&show.stdout).unwrap();
    let attempts = detail["actions"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.last().unwrap()["response"]["status"], 200);
}
