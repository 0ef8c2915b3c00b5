//! What the VM hands to its host: executions made of requests to send.
//!
//! These are plain data: the runtime delivers them, `run --dry-run` prints them,
//! `explain` shows them. Signing headers are not here: they depend on the send time and
//! are added by `sign` when the request goes out (or is printed).

use crate::ast::{Method, ThrottleKey};

/// One rule that matched one event and selected at least one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The rule's name (unique across the set).
    pub rule: String,
    pub event_id: String,
    pub case_id: String,
    pub contact_id: String,
    /// Readable path of the branch taken: `always`, `if 1`, `else if 2`, `else`, nested
    /// ones joined with ` > `.
    pub branch: String,
    /// In order: each step finishes before the next starts.
    pub steps: Vec<Step>,
    /// The rule's throttle lines.
    pub throttles: Vec<ThrottleSpec>,
}

impl Execution {
    /// Every request, in action-position order.
    pub fn requests(&self) -> impl Iterator<Item = &Request> {
        self.steps.iter().flat_map(|s| match s {
            Step::One(r) => std::slice::from_ref(r).iter(),
            Step::Parallel(rs) => rs.iter(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    One(Request),
    /// `parallel { }`: these start together.
    Parallel(Vec<Request>),
}

/// `throttle [per case|contact] N per WINDOW`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSpec {
    pub key: Option<ThrottleKey>,
    pub limit: u64,
    pub window_secs: u64,
}

/// One rendered HTTP request, before signing.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The action's number within its rule, from 1, in source order.
    pub position: u32,
    pub method: Method,
    pub url: String,
    /// Rendered headers with real secret values, in order; includes `Content-Type` (when
    /// there is a body) and `Idempotency-Key`. Redact before logging or printing.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes to send (valid JSON), if the action has a body.
    pub body: Option<String>,
    pub sign: Option<SignSpec>,
    pub timeout_secs: u64,
    pub retry: RetryPolicy,
    /// Same on every attempt, after a crash and on a re-run.
    pub idempotency_key: String,
    /// Set when the action failed before anything was built (a header value holding CR
    /// or LF): the runtime records the action as failed and sends nothing.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignSpec {
    pub scheme: SignKind,
    /// The secret's name (`FINANCE_SIGNING_KEY`).
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignKind {
    /// Lowercase hex HMAC-SHA256 of the body in this header.
    HmacSha256 { header: String },
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    StandardWebhooks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPolicy {
    /// The Standard Webhooks schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    Default,
    /// N attempts in all, exponential backoff from 1 s.
    Times(u32),
    Never,
}

/// The idempotency key of an action: a function of (rule, event id, position) only.
pub fn idempotency_key(rule: &str, event_id: &str, position: u32) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(event_id.as_bytes());
    h.update([0]);
    h.update(position.to_be_bytes());
    let digest = h.finalize();
    format!("msg_{}", crate::sign::hex(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_key_depends_on_rule_event_and_position_only() {
        let a = idempotency_key("r", "evt_1", 1);
        assert_eq!(a, idempotency_key("r", "evt_1", 1));
        assert_ne!(a, idempotency_key("r", "evt_1", 2));
        assert_ne!(a, idempotency_key("r", "evt_2", 1));
        assert_ne!(a, idempotency_key("s", "evt_1", 1));
        assert!(a.starts_with("msg_") && a.len() == 36);
    }
}
