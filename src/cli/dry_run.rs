//! `rulec run --dry-run`: every request as one JSON line, nothing sent.
//!
//! Touches no store, applies no throttle or deduplication, resolves no DNS. Secrets are
//! still required; signatures are real, with the current time as `webhook-timestamp`.
//! Header values are shown with secret values replaced by `***`.

use std::io::{BufRead, Write};
use std::path::Path;

use miette::{miette, IntoDiagnostic, WrapErr};

use super::{frontend, RunArgs, EXIT_INCOMPLETE, EXIT_OK};
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::sign::Signer;
use crate::vm::effect::{Request, SignSpec};
use crate::vm::{self, Event};

/// Runs a dry run; exit 3 when an event was rejected or an action failed to render.
pub fn run(args: &RunArgs) -> miette::Result<i32> {
    let plan = match load_plan(args)? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let secrets = Secrets::load(args.secrets.secrets.as_deref(), &plan.secret_names())
        .map_err(|e| miette!("{e}"))?;
    let mut input = open_events(&args.events)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut printer = Printer {
        secrets: &secrets,
        signers: Vec::new(),
        now: chrono::Utc::now().timestamp(),
        failed: 0,
    };
    let mut rejected = 0;
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .into_diagnostic()
            .wrap_err("cannot read events")?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        match vm::decode_event(&plan, &line) {
            Ok(event) => printer.event(&plan, &event, &mut out)?,
            Err(e) => {
                eprintln!("{}: event rejected: {e}", where_is(&args.events, number));
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

/// The plan from `--plan FILE` or from compiling PATHs; `Err(code)` when the rules have
/// errors (diagnostics already printed).
pub fn load_plan(args: &RunArgs) -> miette::Result<Result<Plan, i32>> {
    if let Some(path) = &args.plan {
        return read_plan(path).map(Ok);
    }
    if args.paths.is_empty() {
        return Err(miette!(
            help = "pass `.rule` files or directories, or `--plan FILE`",
            "no rules to run"
        ));
    }
    let fe = frontend::load(&args.paths)?;
    if let Err(code) = frontend::require_no_errors(&fe) {
        return Ok(Err(code));
    }
    Ok(Ok(crate::plan::compile(
        &fe.sources,
        &fe.files,
        &fe.checked.schema,
    )))
}

/// Reads a plan written by `rulec compile -o`.
pub fn read_plan(path: &Path) -> miette::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read plan `{}`", path.display()))?;
    Plan::from_json(&text).map_err(|e| {
        miette!(
            help = "compile the rules again with this rulec: `rulec compile PATH... -o FILE`",
            "`{}`: {e}",
            path.display()
        )
    })
}

/// Events from a file or standard input (`-`).
pub fn open_events(events: &str) -> miette::Result<Box<dyn BufRead>> {
    if events == "-" {
        return Ok(Box::new(std::io::BufReader::new(std::io::stdin())));
    }
    let file = std::fs::File::open(events)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read events `{events}`"))?;
    Ok(Box::new(std::io::BufReader::new(file)))
}

/// `FILE:LINE`, or `line N` for standard input.
pub fn where_is(events: &str, line: usize) -> String {
    if events == "-" {
        format!("line {line}")
    } else {
        format!("{events}:{line}")
    }
}

struct Printer<'a> {
    secrets: &'a Secrets,
    /// Keyed once per sign spec.
    signers: Vec<(SignSpec, Signer)>,
    now: i64,
    failed: usize,
}

impl Printer<'_> {
    fn event(&mut self, plan: &Plan, event: &Event, out: &mut impl Write) -> miette::Result<()> {
        for execution in vm::evaluate(plan, event, self.secrets) {
            for request in execution.requests() {
                match self.line(&execution.rule, event.id(), request) {
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

    /// One JSON line; an error when the action failed to render or to sign.
    fn line(&mut self, rule: &str, event_id: &str, request: &Request) -> Result<String, String> {
        if let Some(e) = &request.error {
            return Err(e.clone());
        }
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), self.secrets.redact(v)))
            .collect();
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
