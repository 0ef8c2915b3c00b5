//! `rulec run`, `runs list|show|rerun` with the real binary against a real receiver.

mod runtime_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use runtime_support::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rulec");

struct Setup {
    dir: tempfile::TempDir,
    rx: Receiver,
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn store(&self) -> String {
        self.path("store/runs.db").display().to_string()
    }
}

/// A rule posting every created case to the receiver with a token header, and events.
async fn setup(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static, events: &[&str]) -> Setup {
    let rx = Receiver::start(script).await;
    let dir = tempfile::tempdir().unwrap();
    let rule = format!(
        r#"schema {{
  secret TOKEN
}}

rule "to receiver" {{
  when case.created
  post "{}/hook/{{{{case.id}}}}" {{
    header "Authorization" = "Bearer {{{{secrets.TOKEN}}}}"
    body {{ "case": "{{{{case.id}}}}", "event": "{{{{event.id}}}}" }}
    retry 2 times
  }}
}}
"#,
        rx.base
    );
    std::fs::write(dir.path().join("hook.rule"), rule).unwrap();
    let lines: Vec<String> = events.iter().map(|l| l.to_string()).collect();
    std::fs::write(dir.path().join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    Setup { dir, rx }
}

fn created(id: &str, case: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"case.created","at":"2026-05-10T14:03:00Z","tenant":{{"slug":"acme"}},"case":{{"id":"{case}","human_id":"H-1","status":"open","tags":[],"custom_fields":{{}},"created_at":"2026-05-10T14:03:00Z","updated_at":"2026-05-10T14:03:00Z"}},"contact":{{"id":"ct_1"}}}}"#
    )
}

/// Runs the binary off the async runtime (the receiver lives on it).
async fn rulec(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut c = Command::new(BIN);
        c.args(&args).env_remove("RULEC_SECRET_TOKEN");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    })
    .await
    .unwrap()
}

fn run_args(s: &Setup, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        "run".to_string(),
        s.path("hook.rule").display().to_string(),
        "--events".into(),
        s.path("events.jsonl").display().to_string(),
        "--store".into(),
        s.store(),
    ];
    v.extend(extra.iter().map(|x| x.to_string()));
    v
}

const TOKEN: (&str, &str) = ("RULEC_SECRET_TOKEN", "tok-123456");

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn list(store: &str) -> Vec<Value> {
    let o = rulec(
        ["runs", "list", "--format", "json", "--store", store]
            .map(String::from)
            .to_vec(),
        vec![],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    json_lines(&o)
}

async fn show(store: &str, id: &str) -> Value {
    let o = rulec(
        ["runs", "show", id, "--format", "json", "--store", store]
            .map(String::from)
            .to_vec(),
        vec![],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test]
async fn run_delivers_logs_and_a_second_run_skips_what_it_already_did() {
    let s = setup(
        |_| Reply::status(200),
        &[&created("e1", "c1"), &created("e2", "c2")],
    )
    .await;
    let args = run_args(&s, &["--allow-private-targets"]);
    let o = rulec(args.clone(), vec![TOKEN]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 execution(s): 2 succeeded"),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.rx.seen().len(), 2);
    assert_eq!(
        s.rx.seen_on("/hook/c1")[0].headers["authorization"],
        "Bearer tok-123456"
    );

    let rows = list(&s.store()).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["event_id"], "e2", "newest first");
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["case_id", "created_at", "event_id", "id", "rule", "status"]
    );

    let detail = show(&s.store(), rows[1]["id"].as_str().unwrap()).await;
    assert_eq!(detail["status"], "succeeded");
    assert_eq!(detail["branch"], "always");
    let attempt = &detail["actions"][0]["attempts"][0];
    assert_eq!(attempt["request"]["headers"]["Authorization"], "Bearer ***");
    assert_eq!(attempt["response"]["status"], 200);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("tok-123456"));

    let again = rulec(args, vec![TOKEN]).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("skipped 2 execution(s)"),
        "{}",
        stderr(&again)
    );
    assert_eq!(s.rx.seen().len(), 2, "delivered once");
    assert_eq!(list(&s.store()).await.len(), 2);
}

#[tokio::test]
async fn a_missing_secret_stops_before_anything_is_sent() {
    let s = setup(|_| Reply::status(200), &[&created("e1", "c1")]).await;
    let o = rulec(run_args(&s, &["--allow-private-targets"]), vec![]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`TOKEN`"), "{}", stderr(&o));
    assert!(s.rx.seen().is_empty());
    assert!(!Path::new(&s.store()).exists(), "nothing recorded either");
}

#[tokio::test]
async fn a_rejected_event_is_named_and_the_others_run() {
    let bad = r#"{"id":"e2","type":"case.created","at":"2026-05-10T14:03:00Z"}"#;
    let s = setup(|_| Reply::status(200), &[&created("e1", "c1"), bad]).await;
    let o = rulec(run_args(&s, &["--allow-private-targets"]), vec![TOKEN]).await;
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("events.jsonl:2: event rejected"), "{err}");
    assert!(err.contains("`tenant"), "{err}");
    assert_eq!(s.rx.seen().len(), 1);
}

#[tokio::test]
async fn failed_actions_exit_3_and_rerun_resends_with_the_same_or_new_keys() {
    // 400 for the first request: failed at once; 200 afterwards.
    let s = setup(
        |s| Reply::status(if s.nth == 1 { 400 } else { 200 }).body("bad"),
        &[&created("e1", "c1")],
    )
    .await;
    let o = rulec(run_args(&s, &["--allow-private-targets"]), vec![TOKEN]).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let id = list(&s.store()).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(show(&s.store(), &id).await["status"], "failed");

    let rerun = |new_key: bool| {
        let mut a = vec![
            "runs",
            "rerun",
            &id,
            "--format",
            "json",
            "--allow-private-targets",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        a.extend(["--store".to_string(), s.store()]);
        if new_key {
            a.push("--new-key".into());
        }
        a
    };
    let o = rulec(rerun(false), vec![TOKEN]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let detail: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(detail["status"], "succeeded");
    let attempts = detail["actions"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "appended to the same execution");
    assert_eq!(attempts[1]["number"], 2);

    let o = rulec(rerun(true), vec![TOKEN]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let keys: Vec<String> =
        s.rx.seen()
            .iter()
            .map(|r| r.headers["idempotency-key"].clone())
            .collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
}

#[tokio::test]
async fn a_private_target_is_refused_without_the_flag() {
    let s = setup(|_| Reply::status(200), &[&created("e1", "c1")]).await;
    let o = rulec(run_args(&s, &[]), vec![TOKEN]).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(s.rx.seen().is_empty());
    let id = list(&s.store()).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = show(&s.store(), &id).await;
    let attempts = detail["actions"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0]["response"].is_null());
    let err = attempts[0]["error"].as_str().unwrap();
    assert!(err.contains("loopback"), "{err}");
}

#[tokio::test]
async fn runs_commands_explain_a_missing_store_or_execution() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("none.db").display().to_string();
    let o = rulec(
        ["runs", "list", "--store", &store]
            .map(String::from)
            .to_vec(),
        vec![],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
}

#[tokio::test]
async fn requests_are_signed_at_send_time_and_verify_with_the_spec_libraries() {
    use hmac::{Hmac, Mac};
    let rx = Receiver::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let rule = format!(
        r#"schema {{
  secret WH
  secret KEY
}}

rule "signed" {{
  when case.created
  parallel {{
    post "{base}/sw" {{
      sign standard-webhooks with secrets.WH
      body {{ "event": "{{{{event.id}}}}", "note": "quote \" and newline \n" }}
    }}
    post "{base}/hmac" {{
      sign hmac-sha256 with secrets.KEY header "X-Sig"
      body {{ "event": "{{{{event.id}}}}" }}
    }}
  }}
}}
"#,
        base = rx.base
    );
    std::fs::write(dir.path().join("signed.rule"), rule).unwrap();
    std::fs::write(dir.path().join("events.jsonl"), created("e1", "c1")).unwrap();
    let wh = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let args = vec![
        "run".to_string(),
        dir.path().join("signed.rule").display().to_string(),
        "--events".into(),
        dir.path().join("events.jsonl").display().to_string(),
        "--store".into(),
        dir.path().join("runs.db").display().to_string(),
        "--allow-private-targets".into(),
    ];
    let o = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env("RULEC_SECRET_WH", wh)
            .env("RULEC_SECRET_KEY", "hmac-key")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let sw = &s_one(&rx, "/sw");
    let mut headers = axum::http::HeaderMap::new();
    for (n, v) in &sw.headers {
        headers.insert(
            axum::http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    standardwebhooks::Webhook::new(wh)
        .unwrap()
        .verify(sw.body.as_bytes(), &headers)
        .expect("standard-webhooks signature verifies");
    assert_eq!(sw.headers["webhook-id"], sw.headers["idempotency-key"]);

    let h = &s_one(&rx, "/hmac");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"hmac-key").unwrap();
    mac.update(h.body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(h.headers["x-sig"], hex);
}

fn s_one(rx: &Receiver, path: &str) -> Seen {
    let seen = rx.seen_on(path);
    assert_eq!(seen.len(), 1, "{path}");
    seen[0].clone()
}

#[tokio::test]
async fn a_compiled_plan_runs_and_stdin_events_are_named_by_line() {
    let bad = r#"{"id":"e9","type":"case.created"}"#;
    let s = setup(|_| Reply::status(200), &[&created("e1", "c1"), bad]).await;
    let plan = s.path("plan.json").display().to_string();
    let o = rulec(
        vec![
            "compile".into(),
            s.path("hook.rule").display().to_string(),
            "-o".into(),
            plan.clone(),
        ],
        vec![],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events = std::fs::read(s.path("events.jsonl")).unwrap();
    let store = s.store();
    let o = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(BIN)
            .args([
                "run",
                "--plan",
                &plan,
                "--events",
                "-",
                "--allow-private-targets",
            ])
            .args(["--store", &store])
            .env("RULEC_SECRET_TOKEN", "tok-123456")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&events).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("line 2: event rejected"),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.rx.seen().len(), 1);
}
