//! Conformance tests of the run store trait, against a real SQLite file in a temp dir.
//! A store for several workers must pass the same tests: each takes a `make` function.

mod runtime_support;

use std::path::Path;

use rulec::ast::ThrottleKey;
use rulec::runtime::store::*;
use rulec::vm::effect::{RetryPolicy, Step, ThrottleSpec};
use runtime_support::*;

type Make = fn(&Path) -> Box<dyn RunStore>;

fn sqlite(dir: &Path) -> Box<dyn RunStore> {
    Box::new(SqliteStore::open(&dir.join("nested/runs.db")).unwrap())
}

const STORES: &[(&str, Make)] = &[("sqlite", sqlite)];

fn each(test: impl Fn(Make)) {
    for (name, make) in STORES {
        eprintln!("store: {name}");
        test(*make);
    }
}

fn no_secrets() -> SecretValues {
    SecretValues::default()
}

fn one(case: &str, ev: &str) -> NewEvent {
    let e = single(
        "r",
        ev,
        case,
        "https://example.com/hook",
        RetryPolicy::Default,
    );
    event(ev, &[e], &no_secrets())
}

#[test]
fn an_event_and_its_pending_actions_are_recorded_together_and_deduplicated() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        let first = s.record(&[one("c1", "e1")], 1_000, "w1", 60_000).unwrap();
        assert_eq!(first[0].created.len(), 1);
        assert_eq!(first[0].skipped, 0);
        let exec = &first[0].created[0];
        assert_eq!(exec.status, Status::Pending);
        assert_eq!(exec.actions[0].status, Status::Pending);
        assert_eq!(exec.actions[0].receiver, "https://example.com:443");
        let again = s.record(&[one("c1", "e1")], 2_000, "w1", 60_000).unwrap();
        assert!(again[0].created.is_empty());
        assert_eq!(again[0].skipped, 1);
        assert_eq!(s.list(&ListFilter::default()).unwrap().len(), 1);
    });
}

#[test]
fn leases_keep_actions_from_other_workers_until_they_expire_or_are_released() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        s.record(&[one("c1", "e1")], 1_000, "w1", 60_000).unwrap();
        assert!(s.claim_unfinished("w2", 2_000, 60_000).unwrap().is_empty());
        let mine = s.claim_unfinished("w1", 2_000, 60_000).unwrap();
        assert_eq!(mine.len(), 1);
        // w1's lease (until 62 000) has expired at 70 000: w2 reclaims it.
        let reclaimed = s.claim_unfinished("w2", 70_000, 60_000).unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(reclaimed[0].event_id, "e1");
        s.release("w2").unwrap();
        assert_eq!(s.claim_unfinished("w3", 71_000, 60_000).unwrap().len(), 1);
        assert_eq!(s.release_all().unwrap(), 1);
    });
}

fn attempt(number: u32, status: Option<u16>, error: Option<&str>) -> AttemptRecord {
    AttemptRecord {
        number,
        request: RequestLog {
            method: "POST".into(),
            url: "https://example.com/hook".into(),
            headers: [("Authorization".to_string(), "Bearer ***".to_string())].into(),
            body: Some("{}".into()),
        },
        response: status.map(|s| ResponseLog {
            status: s,
            headers: [("content-type".to_string(), "application/json".to_string())].into(),
            body: r#"{"error":"missing field"}"#.into(),
        }),
        error: error.map(str::to_string),
        started_at: 1_700_000_000_000 + number as i64,
        duration_ms: 12,
    }
}

#[test]
fn attempts_and_final_status_are_the_run_log() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        let rec = s.record(&[one("c1", "e1")], 1_000, "w1", 60_000).unwrap();
        let exec = &rec[0].created[0];
        let action = exec.actions[0].id;
        s.apply(&[
            Update::Attempt {
                action_id: action,
                attempt: attempt(1, None, Some("connection failed: refused")),
                status: Status::Pending,
                round_attempts: 1,
                next_attempt_at: 6_000,
            },
            Update::Attempt {
                action_id: action,
                attempt: attempt(2, Some(422), None),
                status: Status::Failed,
                round_attempts: 2,
                next_attempt_at: 6_000,
            },
            Update::Execution {
                id: exec.id.clone(),
                status: Status::Failed,
            },
        ])
        .unwrap();
        let shown = s.show(&exec.id).unwrap().unwrap();
        let json = serde_json::to_value(&shown).unwrap();
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!("store_show_execution", json);
        });
        assert!(s.claim_unfinished("w1", 7_000, 60_000).unwrap().is_empty());
        assert!(s.show("ex_missing").unwrap().is_none());
    });
}

#[test]
fn list_is_newest_first_and_filters_by_rule_status_and_case() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        s.record(&[one("c1", "e1")], 1_000, "w", 1).unwrap();
        s.record(&[one("c2", "e2")], 2_000, "w", 1).unwrap();
        let other = single(
            "other",
            "e3",
            "c1",
            "https://x.example/",
            RetryPolicy::Never,
        );
        s.record(&[event("e3", &[other], &no_secrets())], 3_000, "w", 1)
            .unwrap();
        let all = s.list(&ListFilter::default()).unwrap();
        let ids: Vec<&str> = all.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["e3", "e2", "e1"]);
        assert_eq!(all[0].created_at, "1970-01-01T00:00:03.000Z");
        let case1 = ListFilter {
            case: Some("c1".into()),
            ..ListFilter::default()
        };
        assert_eq!(s.list(&case1).unwrap().len(), 2);
        let rule = ListFilter {
            rule: Some("other".into()),
            ..ListFilter::default()
        };
        assert_eq!(s.list(&rule).unwrap().len(), 1);
        let done = ListFilter {
            status: Some(Status::Succeeded),
            ..ListFilter::default()
        };
        assert!(s.list(&done).unwrap().is_empty());
    });
}

#[test]
fn keyed_throttles_suppress_and_global_ones_delay_in_order() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        let keyed = ThrottleSpec {
            key: Some(ThrottleKey::Case),
            limit: 1,
            window_secs: 60,
        };
        let global = ThrottleSpec {
            key: None,
            limit: 2,
            window_secs: 10,
        };
        let mk = |ev: &str, case: &str| {
            let e = single("r", ev, case, "https://example.com/", RetryPolicy::Default);
            let e = with_throttle(with_throttle(e, keyed), global);
            event(ev, &[e], &no_secrets())
        };
        let out = s
            .record(
                &[
                    mk("e1", "c1"),
                    mk("e2", "c1"),
                    mk("e3", "c2"),
                    mk("e4", "c3"),
                    mk("e5", "c4"),
                ],
                100_000,
                "w",
                60_000,
            )
            .unwrap();
        let status: Vec<Status> = out.iter().map(|r| r.created[0].status).collect();
        assert_eq!(
            status[1],
            Status::Suppressed,
            "second execution for case c1"
        );
        assert_eq!(out[1].created[0].actions[0].status, Status::Suppressed);
        let release: Vec<i64> = out
            .iter()
            .filter(|r| r.created[0].status == Status::Pending)
            .map(|r| r.created[0].actions[0].next_attempt_at)
            .collect();
        assert_eq!(release, [100_000, 100_000, 110_000, 110_000]);
        // A minute later the keyed window has rolled: c1 may run again.
        let later = s.record(&[mk("e6", "c1")], 161_000, "w", 60_000).unwrap();
        assert_eq!(later[0].created[0].status, Status::Pending);
        assert_eq!(later[0].created[0].actions[0].next_attempt_at, 161_000);
    });
}

#[test]
fn throttle_state_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let keyed = ThrottleSpec {
        key: Some(ThrottleKey::Contact),
        limit: 1,
        window_secs: 3600,
    };
    let mk = |ev: &str| {
        let e = single("r", ev, "c1", "https://example.com/", RetryPolicy::Default);
        event(ev, &[with_throttle(e, keyed)], &no_secrets())
    };
    {
        let mut s = sqlite(dir.path());
        s.record(&[mk("e1")], 1_000, "w", 1).unwrap();
    }
    let mut s = sqlite(dir.path());
    let out = s.record(&[mk("e2")], 2_000, "w", 1).unwrap();
    assert_eq!(out[0].created[0].status, Status::Suppressed);
}

#[test]
fn a_request_that_failed_to_render_is_recorded_failed_without_sending() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        let mut req = request("r", "e1", 1, "https://example.com/", RetryPolicy::Default);
        req.error = Some("header `X` holds a line break".into());
        let e = execution("r", "e1", "c1", vec![Step::One(req)]);
        let out = s
            .record(&[event("e1", &[e], &no_secrets())], 1_000, "w", 1)
            .unwrap();
        let exec = &out[0].created[0];
        assert_eq!(exec.status, Status::Failed);
        let shown = s.show(&exec.id).unwrap().unwrap();
        let a = &shown.actions[0].attempts[0];
        assert!(a.response.is_none());
        assert_eq!(
            a.error.as_deref(),
            Some("not sent: header `X` holds a line break")
        );
        assert!(s.claim_unfinished("w", 2_000, 1).unwrap().is_empty());
    });
}

#[test]
fn secret_values_never_reach_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = SecretValues::new([("TOKEN".to_string(), "s3cr3t-value-xyz".to_string())]);
    let mut req = request("r", "e1", 1, "https://example.com/", RetryPolicy::Default);
    req.headers
        .push(("Authorization".into(), "Bearer s3cr3t-value-xyz".into()));
    let e = execution("r", "e1", "c1", vec![Step::One(req)]);
    {
        let mut s = sqlite(dir.path());
        let out = s
            .record(&[event("e1", &[e], &secrets)], 1_000, "w", 1)
            .unwrap();
        let stored = &out[0].created[0].actions[0].request;
        assert_eq!(
            stored.resolved_headers(&secrets).unwrap()[2].1,
            "Bearer s3cr3t-value-xyz"
        );
        assert_eq!(stored.redacted_headers()[2].1, "Bearer ***");
    }
    for entry in std::fs::read_dir(dir.path().join("nested")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("s3cr3t-value-xyz"));
    }
}

#[test]
fn rerun_makes_actions_pending_again_with_the_same_or_new_keys() {
    each(|make| {
        let dir = tempfile::tempdir().unwrap();
        let mut s = make(dir.path());
        let out = s.record(&[one("c1", "e1")], 1_000, "w", 1).unwrap();
        let exec = out[0].created[0].clone();
        let action = exec.actions[0].id;
        s.apply(&[
            Update::Attempt {
                action_id: action,
                attempt: attempt(1, Some(200), None),
                status: Status::Succeeded,
                round_attempts: 1,
                next_attempt_at: 1_000,
            },
            Update::Execution {
                id: exec.id.clone(),
                status: Status::Succeeded,
            },
        ])
        .unwrap();
        let key = exec.actions[0].request.idempotency_key.clone();
        let same = s
            .prepare_rerun(&exec.id, false, 5_000, "w", 1)
            .unwrap()
            .unwrap();
        assert_eq!(same.status, Status::Pending);
        assert_eq!(same.actions[0].status, Status::Pending);
        assert_eq!(same.actions[0].attempts, 1, "numbering continues");
        assert_eq!(same.actions[0].round_attempts, 0);
        assert_eq!(same.actions[0].request.idempotency_key, key);
        let fresh = s
            .prepare_rerun(&exec.id, true, 6_000, "w", 1)
            .unwrap()
            .unwrap();
        let new_key = &fresh.actions[0].request.idempotency_key;
        assert_ne!(new_key, &key);
        let header = fresh.actions[0]
            .request
            .resolved_headers(&no_secrets())
            .unwrap()
            .into_iter()
            .find(|(n, _)| n == "Idempotency-Key")
            .unwrap();
        assert_eq!(&header.1, new_key);
        assert!(s
            .prepare_rerun("ex_nope", false, 1, "w", 1)
            .unwrap()
            .is_none());
    });
}

#[test]
fn reopening_keeps_data_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = sqlite(dir.path());
        s.record(&[one("c1", "e1")], 1_000, "w", 1).unwrap();
    }
    assert_eq!(
        sqlite(dir.path())
            .list(&ListFilter::default())
            .unwrap()
            .len(),
        1
    );
    let path = dir.path().join("nested/runs.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).err().unwrap();
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn one_runner_at_a_time_holds_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    let lock = RunnerLock::acquire(&path).unwrap();
    let err = RunnerLock::acquire(&path).err().unwrap();
    assert!(err.to_string().contains("in use"), "{err}");
    drop(lock);
    assert!(RunnerLock::acquire(&path).is_ok());
}

/// A store written by schema version 1 (actions keyed by the execution's text id, the
/// request inside the action row) opens as version 2 with every row still readable and
/// its pending action resumable.
#[test]
fn a_version_1_store_is_migrated_keeping_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let ev = one("c1", "e1");
    let stored = ev.executions[0].actions[0].request.clone();
    let request = serde_json::to_string(stored.as_ref()).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../src/runtime/store/schema_v1.sql"))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO events (id, received_at, body) VALUES ('e1', 1000, '{}'), ('e2', 1000, '{}');
             INSERT INTO executions VALUES
               ('ex_done', 'r', 'e1', 1, 'c1', 'ct', 'if 1', 'succeeded', 1000),
               ('ex_open', 'r', 'e2', 2, 'c1', 'ct', 'if 1', 'pending', 1000);",
        )
        .unwrap();
        for (id, exec_id, status) in [(7, "ex_done", "succeeded"), (8, "ex_open", "pending")] {
            conn.execute(
                "INSERT INTO actions VALUES (?1, ?2, 0, 1, ?3, 'key', 'https://example.com:443',
                   ?4, 1, 1, 0, NULL, NULL)",
                rusqlite::params![id, exec_id, request, status],
            )
            .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO attempts VALUES (7, 1, '{\"method\":\"POST\",\"url\":\"https://example.com/hook\",\"headers\":{}}',
               200, '{\"content-type\":\"text/plain\"}', 'ok', NULL, 1000, 3);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let mut s = SqliteStore::open(&path).unwrap();
    let shown = s.show("ex_done").unwrap().unwrap();
    assert_eq!(shown.actions.len(), 1);
    let attempt = &shown.actions[0].attempts[0];
    assert_eq!(attempt.response.as_ref().unwrap().body, "ok");
    assert_eq!(attempt.request.body, stored.body);
    let resumed = s.claim_unfinished("w", 2_000, 60_000).unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].id, "ex_open");
    assert_eq!(resumed[0].actions[0].request, stored);
    // New rows go into the rebuilt tables, foreign keys on.
    s.record(&[one("c2", "e3")], 3_000, "w", 60_000).unwrap();
    assert_eq!(s.list(&ListFilter::default()).unwrap().len(), 3);
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}
