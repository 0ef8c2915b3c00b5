//! One delivery attempt: sign at send time, send with the action's timeout, read the
//! first 64 KiB of the response, classify it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{redirect, Client, Method};

use super::policy::{self, Verdict};
use super::store::{now_ms, AttemptRecord, RequestLog, ResponseLog, SecretValues, StoredRequest};
use super::target::{self, GuardedResolver, RefusedTarget};
use crate::vm::effect::SignSpec;

/// How much of a response body the run log keeps.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Computes signature headers: (spec, secret, body, message id, Unix seconds).
pub type Signer = fn(&SignSpec, &str, &[u8], &str, i64) -> Result<Vec<(String, String)>, String>;

/// The one HTTP client shared by every delivery: pooled keep-alive, no redirects, no
/// proxy from the environment, and (unless private targets are allowed) a resolver that
/// drops refused addresses.
pub fn client(allow_private_targets: bool) -> Result<Client, String> {
    let mut b = Client::builder()
        .redirect(redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .user_agent(concat!("rulec/", env!("CARGO_PKG_VERSION")));
    if !allow_private_targets {
        b = b.dns_resolver(Arc::new(GuardedResolver));
    }
    b.build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// What the sender needs besides the request.
#[derive(Clone)]
pub struct SendContext {
    pub client: Client,
    pub secrets: Arc<SecretValues>,
    pub signer: Option<Signer>,
    pub allow_private_targets: bool,
}

/// Makes one attempt, numbered `number`.
pub async fn attempt(
    ctx: &SendContext,
    req: &StoredRequest,
    number: u32,
) -> (AttemptRecord, Verdict) {
    let started_at = now_ms();
    let clock = Instant::now();
    let mut log = RequestLog {
        method: req.method.clone(),
        url: req.url.clone(),
        headers: req.redacted_headers().into_iter().collect(),
        // The store keeps the action's body once, not a copy per attempt.
        body: None,
    };
    let outcome = send(ctx, req, &mut log).await;
    let duration_ms = clock.elapsed().as_millis() as u64;
    let (response, error, verdict) = match outcome {
        Ok((response, verdict)) => (Some(response), None, verdict),
        Err((error, verdict)) => (None, Some(ctx.secrets.redact_text(&error)), verdict),
    };
    let record = AttemptRecord {
        number,
        request: log,
        response,
        error,
        started_at,
        duration_ms,
    };
    (record, verdict)
}

type Failure = (String, Verdict);

async fn send(
    ctx: &SendContext,
    req: &StoredRequest,
    log: &mut RequestLog,
) -> Result<(ResponseLog, Verdict), Failure> {
    let fail = |e: String| (e, Verdict::Fail);
    // An action that failed to render (a header with a line break) is never sent, on a
    // rerun either: there is nothing valid to send.
    if let Some(error) = &req.error {
        return Err(fail(format!("not sent: {error}")));
    }
    let url = reqwest::Url::parse(&req.url).map_err(|e| fail(format!("bad url: {e}")))?;
    if !ctx.allow_private_targets {
        target::check_literal(&url).map_err(|e| fail(e.0))?;
    }
    let method = Method::from_bytes(req.method.as_bytes())
        .map_err(|_| fail(format!("bad method `{}`", req.method)))?;
    let mut headers = req
        .resolved_headers(&ctx.secrets)
        .map_err(|name| fail(format!("secret `{name}` is not provided")))?;
    let body = req.body.clone().unwrap_or_default();
    if let Some(sign) = &req.sign {
        let signed =
            sign_headers(ctx, sign, body.as_bytes(), &req.idempotency_key).map_err(fail)?;
        for (n, v) in &signed {
            log.headers.insert(n.clone(), v.clone());
        }
        headers.extend(signed);
    }
    let mut rb = ctx
        .client
        .request(method, url)
        .timeout(Duration::from_secs(req.timeout_secs.max(1)));
    for (n, v) in &headers {
        rb = rb.header(n.as_str(), v.as_str());
    }
    if req.body.is_some() {
        rb = rb.body(body);
    }
    let resp = rb
        .send()
        .await
        .map_err(|e| describe(&e, req.timeout_secs))?;
    let status = resp.status().as_u16();
    let verdict = policy::classify(status, resp.headers());
    // A receiver may echo a secret back (an Authorization header in an error body):
    // the run log never holds one.
    let headers = response_headers(resp.headers(), &ctx.secrets);
    let body = ctx.secrets.redact_owned(read_limited(resp).await);
    Ok((
        ResponseLog {
            status,
            headers,
            body,
        },
        verdict,
    ))
}

fn sign_headers(
    ctx: &SendContext,
    sign: &super::store::StoredSign,
    body: &[u8],
    message_id: &str,
) -> Result<Vec<(String, String)>, String> {
    let secret = ctx
        .secrets
        .get(&sign.secret)
        .ok_or_else(|| format!("secret `{}` is not provided", sign.secret))?;
    let signer = ctx
        .signer
        .ok_or_else(|| "signing is not available in this build".to_string())?;
    let timestamp = chrono::Utc::now().timestamp();
    signer(&sign.to_spec(), secret, body, message_id, timestamp)
}

/// A transport error as the attempt's error, and whether to retry it (a refused target
/// is not retried; connection errors and timeouts are).
fn describe(e: &reqwest::Error, timeout_secs: u64) -> Failure {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut chain = Vec::new();
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<RefusedTarget>() {
            return (refused.0.clone(), Verdict::Fail);
        }
        chain.push(s.to_string());
        source = s.source();
    }
    if e.is_builder() {
        // The request itself is malformed (a header value reqwest refuses): sending it
        // again can only fail the same way.
        let cause = chain.last().cloned().unwrap_or_default();
        return (format!("request not built: {cause}"), Verdict::Fail);
    }
    let text = if e.is_timeout() {
        format!("timed out after {timeout_secs} s")
    } else {
        // The innermost cause is the readable one ("Connection refused (os error 111)").
        let cause = chain.last().cloned().unwrap_or_default();
        if e.is_connect() {
            format!("connection failed: {cause}")
        } else {
            format!("request failed: {cause}")
        }
    };
    (text, Verdict::Retry { after: None })
}

/// The response headers for the run log, repeated names joined, secrets as `***`.
fn response_headers(
    h: &reqwest::header::HeaderMap,
    secrets: &SecretValues,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in h {
        let v = secrets.redact_owned(String::from_utf8_lossy(value.as_bytes()).into_owned());
        out.entry(name.as_str().to_string())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

/// The first [`BODY_LIMIT`] bytes of the body as text (invalid UTF-8 replaced); a body
/// that breaks off midway keeps what arrived.
async fn read_limited(mut resp: reqwest::Response) -> String {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < BODY_LIMIT {
        match resp.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    buf.truncate(BODY_LIMIT);
    // Valid UTF-8 (the usual case) becomes the text without a copy.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
