//! `rulec run PATH... --events FILE|-`: record events, deliver their requests, print a
//! summary. (`--dry-run` is dispatched to `dry_run.rs`.)

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use miette::miette;

use super::inputs::{self, EventInput};
use super::{RunArgs, EXIT_INCOMPLETE, EXIT_OK};
use crate::runtime::intake::Intake;
use crate::runtime::store::{rfc3339, NewEvent, Status};
use crate::runtime::{Options, Report, Runtime};

/// Events recorded per transaction.
const CHUNK: usize = 512;

/// Runs `rulec run` (not `--dry-run`).
pub fn run(args: &RunArgs) -> miette::Result<i32> {
    let plan = match inputs::load_plan(&args.paths, args.plan.as_deref())? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let secrets = inputs::load_secrets(&args.secrets, &plan.secret_names())?;
    let input = EventInput::read(&args.events)?;
    let intake = Intake::new(plan, secrets);
    let options = Options {
        allow_private_targets: args.allow_private_targets,
        ..Options::default()
    };
    let rt = tokio_runtime()?;
    let outcome = rt.block_on(deliver(
        &intake,
        &args.store.store,
        &input,
        options,
        args.wait,
    ))?;
    Ok(outcome)
}

/// A multi-threaded tokio runtime for the command.
pub fn tokio_runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| miette!("cannot start the async runtime: {e}"))
}

/// Counts for the summary line.
#[derive(Default)]
struct Tally {
    events: usize,
    rejected: usize,
    skipped: usize,
    statuses: BTreeMap<String, Status>,
}

async fn deliver(
    intake: &Intake,
    store: &Path,
    input: &EventInput,
    options: Options,
    wait: u64,
) -> miette::Result<i32> {
    let rt = Runtime::open_sqlite(store, intake.secret_values(), options)
        .await
        .map_err(|e| miette!("{e}"))?;
    if rt.resumed > 0 {
        eprintln!(
            "resuming {} unfinished execution(s) from `{}`",
            rt.resumed,
            store.display()
        );
    }
    let lines = input.events();
    let mut tally = Tally::default();
    let mut progress = Progress::new(lines.len());
    for chunk in lines.chunks(CHUNK) {
        let mut batch: Vec<NewEvent> = Vec::with_capacity(chunk.len());
        for (line, json) in chunk {
            tally.events += 1;
            match intake.event(json) {
                Ok(ev) => batch.push(ev),
                Err(e) => {
                    tally.rejected += 1;
                    progress.clear();
                    eprintln!("error: {}: event rejected: {e}", input.locate(*line));
                }
            }
        }
        let recorded = rt.submit(batch).await.map_err(|e| miette!("{e}"))?;
        for r in recorded {
            tally.skipped += r.skipped;
            for e in r.created {
                tally.statuses.insert(e.id, e.status);
            }
        }
        progress.advance(chunk.len());
    }
    progress.clear();
    let report = rt
        .idle(Duration::from_secs(wait))
        .await
        .map_err(|e| miette!("{e}"))?;
    let final_report = rt.stop().await.map_err(|e| miette!("{e}"))?;
    Ok(summarize(&mut tally, &report, &final_report))
}

fn summarize(tally: &mut Tally, report: &Report, final_report: &Report) -> i32 {
    for (id, status) in report.finished.iter().chain(&final_report.finished) {
        tally.statuses.insert(id.clone(), *status);
    }
    for p in &final_report.pending {
        tally
            .statuses
            .insert(p.execution_id.clone(), Status::Pending);
    }
    let count = |s: Status| tally.statuses.values().filter(|v| **v == s).count();
    let (ok, failed, pending, suppressed) = (
        count(Status::Succeeded),
        count(Status::Failed),
        count(Status::Pending),
        count(Status::Suppressed),
    );
    for p in &final_report.pending {
        eprintln!(
            "pending: execution `{}` (rule `{}`, event `{}`) action {} to `{}`, next attempt {}",
            p.execution_id,
            p.rule,
            p.event_id,
            p.position,
            p.url,
            rfc3339(p.next_attempt_at)
        );
    }
    if tally.skipped > 0 {
        eprintln!(
            "skipped {} execution(s) already in the run store (same rule and event id)",
            tally.skipped
        );
    }
    eprintln!(
        "{} event(s), {} rejected; {} execution(s): {ok} succeeded, {failed} failed, {pending} pending, {suppressed} suppressed",
        tally.events,
        tally.rejected,
        tally.statuses.len()
    );
    if tally.rejected > 0 || failed > 0 || pending > 0 {
        EXIT_INCOMPLETE
    } else {
        EXIT_OK
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct Progress {
    total: usize,
    done: usize,
    on: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            on: std::io::stderr().is_terminal() && total > 0,
        }
    }

    fn advance(&mut self, n: usize) {
        self.done += n;
        if !self.on {
            return;
        }
        let width = 30;
        let filled = width * self.done / self.total.max(1);
        let bar: String = (0..width)
            .map(|i| if i < filled { '=' } else { ' ' })
            .collect();
        eprint!("\r[{bar}] {}/{} events recorded", self.done, self.total);
        let _ = std::io::stderr().flush();
    }

    fn clear(&mut self) {
        if self.on && self.done > 0 {
            eprint!("\r{:60}\r", "");
        }
    }
}
