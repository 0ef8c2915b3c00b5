//! The data the run store keeps and returns.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::vm::effect::{Execution, Request, RetryPolicy, SignKind, SignSpec, Step, ThrottleSpec};

/// An event to record, with the executions the VM made of it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    /// The event's JSON as received.
    pub body: String,
    pub executions: Vec<NewExecution>,
}

/// Events to record with [`super::RunStore::record`]'s arguments.
#[derive(Debug, Clone)]
pub struct RecordBatch {
    pub events: Vec<NewEvent>,
    pub now: i64,
    pub owner: String,
    pub lease_ms: i64,
}

/// An execution to record: the effect's data with secrets kept out of the headers.
///
/// Everything the store derives from it (the id, each request's JSON and receiver) is
/// computed here, where events are taken in, and not on the store's single writer
/// thread, which every delivery passes through.
#[derive(Debug, Clone)]
pub struct NewExecution {
    /// [`execution_id`] of the rule and event.
    pub id: String,
    pub rule: String,
    pub event_id: String,
    pub case_id: String,
    pub contact_id: String,
    pub branch: String,
    pub throttles: Vec<ThrottleSpec>,
    pub actions: Vec<NewAction>,
}

impl NewExecution {
    /// Converts a VM execution (its strings move, nothing is copied); header values
    /// holding a secret's value keep only its name.
    pub fn from_effect(execution: Execution, secrets: &SecretValues) -> Self {
        let mut actions = Vec::new();
        for (step, s) in execution.steps.into_iter().enumerate() {
            let requests = match s {
                Step::One(r) => vec![r],
                Step::Parallel(rs) => rs,
            };
            for r in requests {
                actions.push(NewAction::new(StoredRequest::from_request(
                    r,
                    step as u32,
                    secrets,
                )));
            }
        }
        NewExecution {
            id: execution_id(&execution.rule, &execution.event_id),
            rule: execution.rule,
            event_id: execution.event_id,
            case_id: execution.case_id,
            contact_id: execution.contact_id,
            branch: execution.branch,
            throttles: execution.throttles,
            actions,
        }
    }
}

/// An action to record.
#[derive(Debug, Clone)]
pub struct NewAction {
    /// Shared with the store's result and the delivery engine: a request is never copied.
    pub request: Arc<StoredRequest>,
    /// The request as the store keeps it (JSON).
    pub encoded: String,
    /// [`receiver_key`] of its URL.
    pub receiver: String,
}

impl NewAction {
    /// Encodes the request once.
    pub fn new(request: StoredRequest) -> Self {
        NewAction {
            // A `StoredRequest` is strings, numbers and enums: encoding it cannot fail.
            encoded: serde_json::to_string(&request).unwrap_or_default(),
            receiver: receiver_key(&request.url),
            request: Arc::new(request),
        }
    }
}

/// `ex_` and 16 hex digits of SHA-256(rule, event id): one id per (rule, event).
pub fn execution_id(rule: &str, event_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(event_id.as_bytes());
    let d = h.finalize();
    format!("ex_{}", crate::sign::hex(&d[..8]))
}

/// `scheme://host:port` of a URL (the URL itself if it does not parse).
pub fn receiver_key(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}:{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => url.to_string(),
    }
}

/// A request as the outbox keeps it: secret values replaced by their names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRequest {
    /// Index of the step in the execution: steps run one after another.
    pub step: u32,
    pub position: u32,
    pub method: String,
    pub url: String,
    pub headers: Vec<HeaderTemplate>,
    pub body: Option<String>,
    pub sign: Option<StoredSign>,
    pub timeout_secs: u64,
    pub retry: StoredRetry,
    pub idempotency_key: String,
    /// A render failure: the action fails without being sent.
    pub error: Option<String>,
}

impl StoredRequest {
    /// Converts one rendered request of step `step`.
    pub fn from_request(r: Request, step: u32, secrets: &SecretValues) -> Self {
        StoredRequest {
            step,
            position: r.position,
            method: r.method.as_str().to_string(),
            url: r.url,
            headers: r
                .headers
                .into_iter()
                .map(|(name, v)| HeaderTemplate {
                    value: secrets.template(&v),
                    name,
                })
                .collect(),
            body: r.body,
            sign: r.sign.as_ref().map(StoredSign::from),
            timeout_secs: r.timeout_secs,
            retry: r.retry.into(),
            idempotency_key: r.idempotency_key,
            error: r.error,
        }
    }

    /// The headers with secret values filled in; `Err` names a secret that is missing.
    pub fn resolved_headers(
        &self,
        secrets: &SecretValues,
    ) -> Result<Vec<(String, String)>, String> {
        self.headers
            .iter()
            .map(|h| Ok((h.name.clone(), secrets.resolve(&h.value)?)))
            .collect()
    }

    /// The headers as the run log shows them: secrets as `***`.
    pub fn redacted_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|h| (h.name.clone(), SecretValues::redacted(&h.value)))
            .collect()
    }

    /// The names of the secrets this request needs (headers and signing).
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .flat_map(|h| h.value.iter())
            .filter_map(|s| match s {
                Segment::Secret(n) => Some(n.clone()),
                Segment::Text(_) => None,
            })
            .collect();
        if let Some(sign) = &self.sign {
            names.push(sign.secret.clone());
        }
        names
    }
}

/// A header whose value may hold secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderTemplate {
    pub name: String,
    pub value: Vec<Segment>,
}

/// A piece of a stored header value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Segment {
    Text(String),
    /// The value of this secret, filled in at send time.
    Secret(String),
}

/// How a request is signed (a serialisable [`SignSpec`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSign {
    /// `hmac-sha256` or `standard-webhooks`.
    pub scheme: String,
    /// The header for `hmac-sha256`.
    pub header: Option<String>,
    pub secret: String,
}

impl From<&SignSpec> for StoredSign {
    fn from(s: &SignSpec) -> Self {
        match &s.scheme {
            SignKind::HmacSha256 { header } => StoredSign {
                scheme: "hmac-sha256".into(),
                header: Some(header.clone()),
                secret: s.secret.clone(),
            },
            SignKind::StandardWebhooks => StoredSign {
                scheme: "standard-webhooks".into(),
                header: None,
                secret: s.secret.clone(),
            },
        }
    }
}

impl StoredSign {
    /// Back to the VM's type.
    pub fn to_spec(&self) -> SignSpec {
        let scheme = match &self.header {
            Some(h) if self.scheme == "hmac-sha256" => SignKind::HmacSha256 { header: h.clone() },
            _ => SignKind::StandardWebhooks,
        };
        SignSpec {
            scheme,
            secret: self.secret.clone(),
        }
    }
}

/// A serialisable [`RetryPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredRetry {
    Default,
    Times(u32),
    Never,
}

impl From<RetryPolicy> for StoredRetry {
    fn from(r: RetryPolicy) -> Self {
        match r {
            RetryPolicy::Default => StoredRetry::Default,
            RetryPolicy::Times(n) => StoredRetry::Times(n),
            RetryPolicy::Never => StoredRetry::Never,
        }
    }
}

/// Secret values by name, for filling in and redacting header values. `Debug` shows
/// names only.
#[derive(Clone, Default)]
pub struct SecretValues {
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.pairs.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SecretValues")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

impl SecretValues {
    /// From (name, value) pairs; empty values are ignored (they cannot be told apart).
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut pairs: Vec<(String, String)> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        // Longest first, so a secret that contains another is matched whole.
        pairs.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        SecretValues { pairs }
    }

    /// The value of a secret.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Splits a rendered value into text and the names of the secrets it holds.
    pub fn template(&self, value: &str) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut rest = value;
        'outer: while !rest.is_empty() {
            let mut best: Option<(usize, &(String, String))> = None;
            for pair in &self.pairs {
                if let Some(i) = rest.find(pair.1.as_str()) {
                    if best.is_none_or(|(b, _)| i < b) {
                        best = Some((i, pair));
                    }
                }
            }
            match best {
                Some((i, (name, secret))) => {
                    if i > 0 {
                        out.push(Segment::Text(rest[..i].to_string()));
                    }
                    out.push(Segment::Secret(name.clone()));
                    rest = &rest[i + secret.len()..];
                }
                None => {
                    out.push(Segment::Text(rest.to_string()));
                    break 'outer;
                }
            }
        }
        out
    }

    /// Fills secrets back in; `Err` names the first missing one.
    pub fn resolve(&self, segments: &[Segment]) -> Result<String, String> {
        let mut s = String::new();
        for seg in segments {
            match seg {
                Segment::Text(t) => s.push_str(t),
                Segment::Secret(n) => s.push_str(self.get(n).ok_or_else(|| n.clone())?),
            }
        }
        Ok(s)
    }

    /// The value with every secret shown as `***`.
    pub fn redacted(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => t.as_str(),
                Segment::Secret(_) => "***",
            })
            .collect()
    }

    /// Replaces every secret value in free text (an error message) by `***`.
    pub fn redact_text(&self, text: &str) -> String {
        if self.pairs.iter().all(|(_, v)| !text.contains(v.as_str())) {
            return text.to_string();
        }
        SecretValues::redacted(&self.template(text))
    }

    /// [`redact_text`](Self::redact_text) on an owned string: returned as it is (no copy)
    /// when it holds no secret, the common case on the delivery path.
    pub fn redact_owned(&self, text: String) -> String {
        if self.pairs.iter().all(|(_, v)| !text.contains(v.as_str())) {
            return text;
        }
        SecretValues::redacted(&self.template(&text))
    }
}

/// Status of an execution or an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Succeeded,
    Failed,
    Suppressed,
}

impl Status {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Suppressed => "suppressed",
        }
    }

    /// Parses a stored or user-given status word.
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "pending" => Status::Pending,
            "succeeded" => Status::Succeeded,
            "failed" => Status::Failed,
            "suppressed" => Status::Suppressed,
            _ => return None,
        })
    }
}

/// What recording one event did.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub event_id: String,
    /// New executions (any status), with their actions.
    pub created: Vec<StoredExecution>,
    /// Executions not created because (rule, event id) already had one.
    pub skipped: usize,
}

/// An execution as stored, with its actions.
#[derive(Debug, Clone)]
pub struct StoredExecution {
    pub id: String,
    pub rule: String,
    pub event_id: String,
    /// Order of arrival of the event: executions of a case are delivered in this order.
    pub event_seq: i64,
    pub case_id: String,
    pub contact_id: String,
    pub branch: String,
    pub status: Status,
    pub actions: Vec<StoredAction>,
}

/// An outbox row.
#[derive(Debug, Clone)]
pub struct StoredAction {
    pub id: i64,
    pub request: Arc<StoredRequest>,
    /// `scheme://host:port`: requests to one receiver for one case go in event order.
    pub receiver: String,
    pub status: Status,
    /// Attempts made so far in all (numbering continues on a re-run).
    pub attempts: u32,
    /// Attempts made in the current round (what the retry schedule counts).
    pub round_attempts: u32,
    pub next_attempt_at: i64,
}

/// One write of a batch given to [`super::RunStore::apply`].
#[derive(Debug, Clone)]
pub enum Update {
    /// An attempt was made; the action is now `status`.
    Attempt {
        action_id: i64,
        attempt: AttemptRecord,
        status: Status,
        round_attempts: u32,
        next_attempt_at: i64,
    },
    /// An execution finished.
    Execution { id: String, status: Status },
    /// Extends the leases of `owner` until the given time.
    RenewLeases { owner: String, until: i64 },
}

/// One attempt for the run log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub number: u32,
    pub request: RequestLog,
    pub response: Option<ResponseLog>,
    pub error: Option<String>,
    /// Unix milliseconds.
    pub started_at: i64,
    pub duration_ms: u64,
}

/// The request as sent, secrets as `***`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLog {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// The response: status, headers, the first 64 KiB of the body as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseLog {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// Filters of `runs list`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub rule: Option<String>,
    pub status: Option<Status>,
    pub case: Option<String>,
    pub limit: Option<usize>,
}

/// One line of `runs list --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSummary {
    pub id: String,
    pub rule: String,
    pub event_id: String,
    pub case_id: String,
    pub status: Status,
    pub created_at: String,
}

/// `runs show ID --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionDetail {
    pub id: String,
    pub rule: String,
    pub event_id: String,
    pub case_id: String,
    pub status: Status,
    pub branch: String,
    pub actions: Vec<ActionDetail>,
}

/// An action in [`ExecutionDetail`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDetail {
    pub position: u32,
    pub method: String,
    pub url: String,
    pub status: Status,
    pub attempts: Vec<AttemptDetail>,
}

/// An attempt in [`ActionDetail`], times as RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptDetail {
    pub number: u32,
    pub request: RequestLog,
    pub response: Option<ResponseLog>,
    pub error: Option<String>,
    pub started_at: String,
    pub duration_ms: u64,
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds and `Z`.
pub fn rfc3339(ms: i64) -> String {
    use chrono::{SecondsFormat, TimeZone, Utc};
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => String::new(),
    }
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
