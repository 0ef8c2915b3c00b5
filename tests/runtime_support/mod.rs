//! Shared by the runtime and store tests: a scripted HTTP receiver on 127.0.0.1 and
//! hand-built executions.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rulec::ast::Method as RuleMethod;
use rulec::runtime::store::{NewEvent, NewExecution, SecretValues};
use rulec::vm::effect::{idempotency_key, Execution, Request, RetryPolicy, Step, ThrottleSpec};

/// One request the receiver saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    /// How many requests this path had seen, this one included.
    pub nth: usize,
    pub at: Instant,
}

/// What the receiver answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }
    pub fn header(mut self, n: &str, v: &str) -> Reply {
        self.headers.push((n.into(), v.into()));
        self
    }
    pub fn body(mut self, b: &str) -> Reply {
        self.body = b.into();
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

type Script = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    counts: Arc<Mutex<HashMap<String, usize>>>,
    script: Script,
}

/// A scripted receiver listening on 127.0.0.1, port chosen by the OS.
pub struct Receiver {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    pub async fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Receiver {
        let shared = Shared {
            seen: Arc::default(),
            counts: Arc::default(),
            script: Arc::new(script),
        };
        let seen = shared.seen.clone();
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            base: format!("http://127.0.0.1:{}", addr.port()),
            seen,
        }
    }

    /// Always 200.
    pub async fn ok() -> Receiver {
        Receiver::start(|_| Reply::status(200)).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn seen_on(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

async fn handle(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let nth = {
        let mut c = s.counts.lock().unwrap();
        let n = c.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let seen = Seen {
        method: method.to_string(),
        path,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        nth,
        at: Instant::now(),
    };
    let reply = (s.script)(&seen);
    s.seen.lock().unwrap().push(seen);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (n, v) in reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    resp
}

/// A POST with a JSON body and an Idempotency-Key, retry and timeout as given.
pub fn request(
    rule: &str,
    event_id: &str,
    position: u32,
    url: &str,
    retry: RetryPolicy,
) -> Request {
    let key = idempotency_key(rule, event_id, position);
    Request {
        position,
        method: RuleMethod::Post,
        url: url.to_string(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Idempotency-Key".into(), key.clone()),
        ],
        body: Some(format!(r#"{{"event":"{event_id}","position":{position}}}"#)),
        sign: None,
        timeout_secs: 5,
        retry,
        idempotency_key: key,
        error: None,
    }
}

/// An execution of `rule` for `event_id` on `case_id` with the given steps.
pub fn execution(rule: &str, event_id: &str, case_id: &str, steps: Vec<Step>) -> Execution {
    Execution {
        rule: rule.into(),
        event_id: event_id.into(),
        case_id: case_id.into(),
        contact_id: format!("ct_{case_id}"),
        branch: "always".into(),
        steps,
        throttles: Vec::new(),
    }
}

/// An execution with one request to `url`.
pub fn single(
    rule: &str,
    event_id: &str,
    case_id: &str,
    url: &str,
    retry: RetryPolicy,
) -> Execution {
    execution(
        rule,
        event_id,
        case_id,
        vec![Step::One(request(rule, event_id, 1, url, retry))],
    )
}

pub fn with_throttle(mut e: Execution, t: ThrottleSpec) -> Execution {
    e.throttles.push(t);
    e
}

/// An event holding these executions.
pub fn event(id: &str, executions: &[Execution], secrets: &SecretValues) -> NewEvent {
    NewEvent {
        id: id.into(),
        body: format!(r#"{{"id":"{id}"}}"#),
        executions: executions
            .iter()
            .map(|e| NewExecution::from_effect(e.clone(), secrets))
            .collect(),
    }
}
