//! `rulec run --dry-run`: every request as one JSON line, nothing sent.
//!
//! Touches no store, applies no throttle or deduplication, resolves no DNS. Secrets are
//! still required; signatures are real, with the current time as `webhook-timestamp`.
//! Header values are shown with secret values replaced by `***`.

use std::io::Write;

use miette::IntoDiagnostic;

use super::inputs::{self, EventInput};
use super::{RunArgs, EXIT_INCOMPLETE, EXIT_OK};
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::sign::Signer;
use crate::vm::effect::{Request, SignSpec};
use crate::vm::render::Renderer;
use crate::vm::{self, Event};

/// Runs a dry run; exit 3 when an event was rejected or an action failed to render.
pub fn run(args: &RunArgs) -> miette::Result<i32> {
    let plan = match inputs::load_plan(&args.paths, args.plan.as_deref())? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let secrets = inputs::load_secrets(&args.secrets, &plan.secret_names())?;
    let input = EventInput::read(&args.events)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut printer = Printer {
        secrets: &secrets,
        masked: Secrets::from_pairs(plan.secret_names().into_iter().map(|n| (n, "***"))),
        signers: Vec::new(),
        now: chrono::Utc::now().timestamp(),
        failed: 0,
    };
    let mut rejected = 0;
    for (line, json) in input.events() {
        match vm::decode_event(&plan, json) {
            Ok(event) => printer.event(&plan, &event, &mut out)?,
            Err(e) => {
                eprintln!("{}: event rejected: {e}", input.locate(line));
                rejected += 1;
            }
        }
    }
    out.flush().into_diagnostic()?;
    if rejected > 0 {
        eprintln!("{rejected} event(s) rejected");
    }
    Ok(if rejected > 0 || printer.failed > 0 {
        EXIT_INCOMPLETE
    } else {
        EXIT_OK
    })
}

struct Printer<'a> {
    secrets: &'a Secrets,
    /// Every secret the plan uses, standing as `***`: header templates holding a secret
    /// are rendered again with these for display.
    masked: Secrets,
    /// Keyed once per sign spec.
    signers: Vec<(SignSpec, Signer)>,
    now: i64,
    failed: usize,
}

impl Printer<'_> {
    fn event(&mut self, plan: &Plan, event: &Event, out: &mut impl Write) -> miette::Result<()> {
        for execution in vm::evaluate(plan, event, self.secrets) {
            for request in execution.requests() {
                let shown = self.shown_headers(plan, event, &execution.rule, request);
                match self.line(&execution.rule, event.id(), request, shown) {
                    Ok(line) => writeln!(out, "{line}").into_diagnostic()?,
                    Err(e) => {
                        self.failed += 1;
                        eprintln!(
                            "rule `{}` action {} for event `{}` failed: {e}",
                            execution.rule,
                            request.position,
                            event.id()
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The request's headers as shown: a header whose template holds a secret is
    /// rendered again with the secret as `***` (structural: a short secret value cannot
    /// mangle other text the way replacing values in the output would).
    fn shown_headers(
        &self,
        plan: &Plan,
        event: &Event,
        rule: &str,
        request: &Request,
    ) -> Vec<(String, String)> {
        let templates = secret_header_templates(plan, rule, request.position);
        let mut renderer = Renderer {
            plan,
            event,
            secrets: &self.masked,
            scratch: String::new(),
        };
        request
            .headers
            .iter()
            .enumerate()
            .map(|(i, (name, value))| match templates.get(i) {
                Some(Some(t)) => {
                    let mut shown = String::new();
                    match renderer.render(*t, &mut shown) {
                        Ok(()) => (name.clone(), shown),
                        Err(_) => (name.clone(), "***".to_string()),
                    }
                }
                _ => (name.clone(), value.clone()),
            })
            .collect()
    }

    /// One JSON line; an error when the action failed to render or to sign.
    fn line(
        &mut self,
        rule: &str,
        event_id: &str,
        request: &Request,
        mut headers: Vec<(String, String)>,
    ) -> Result<String, String> {
        if let Some(e) = &request.error {
            return Err(e.clone());
        }
        if let Some(spec) = &request.sign {
            let body = request.body.as_deref().unwrap_or("").as_bytes();
            let now = self.now;
            let signer = self.signer(spec)?;
            headers.extend(signer.headers(body, &request.idempotency_key, now));
        }
        Ok(request_line(rule, event_id, request, &headers))
    }

    fn signer(&mut self, spec: &SignSpec) -> Result<&Signer, String> {
        if let Some(i) = self.signers.iter().position(|(s, _)| s == spec) {
            return Ok(&self.signers[i].1);
        }
        let secret = self
            .secrets
            .get(&spec.secret)
            .ok_or_else(|| format!("secret `{}` is not set", spec.secret))?;
        let signer = Signer::new(spec, secret).map_err(|e| e.to_string())?;
        self.signers.push((spec.clone(), signer));
        Ok(&self.signers[self.signers.len() - 1].1)
    }
}

/// Per user header of the action (they come first in a request): its template when it
/// holds a secret.
fn secret_header_templates(plan: &Plan, rule: &str, position: u32) -> Vec<Option<u32>> {
    let Some(r) = plan.rules.iter().find(|r| r.name == rule) else {
        return Vec::new();
    };
    let index = (r.first_action + position).saturating_sub(1) as usize;
    let Some(action) = plan.actions.get(index) else {
        return Vec::new();
    };
    action
        .headers
        .iter()
        .map(|(_, t)| {
            let secret = plan.templates.get(*t as usize).is_some_and(|t| {
                t.segments
                    .iter()
                    .any(|s| matches!(s, crate::plan::Segment::Secret(_)))
            });
            secret.then_some(*t)
        })
        .collect()
}

/// `{"rule","event_id","action","method","url","headers","body"}`, headers in order.
pub fn request_line(
    rule: &str,
    event_id: &str,
    request: &Request,
    headers: &[(String, String)],
) -> String {
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let header_json: Vec<String> = headers
        .iter()
        .map(|(n, v)| format!("{}:{}", q(n), q(v)))
        .collect();
    let body = match &request.body {
        Some(b) => q(b),
        None => "null".to_string(),
    };
    format!(
        "{{\"rule\":{},\"event_id\":{},\"action\":{},\"method\":{},\"url\":{},\"headers\":{{{}}},\"body\":{}}}",
        q(rule),
        q(event_id),
        request.position,
        q(request.method.as_str()),
        q(&request.url),
        header_json.join(","),
        body
    )
}
