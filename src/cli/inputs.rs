//! What `run`, `run --dry-run`, `serve` and `explain` read besides rules: a compiled plan
//! and events. One implementation, so every command reads the same input the same way.

use std::io::Read;
use std::path::{Path, PathBuf};

use miette::{miette, IntoDiagnostic, WrapErr};

use super::{frontend, SecretArgs};
use crate::plan::{self, Plan};
use crate::secrets::Secrets;
use crate::vm::split_events;

/// The plan from `.rule` paths (diagnostics printed; `Err(1)` on errors) or `--plan FILE`.
pub fn load_plan(paths: &[PathBuf], plan_file: Option<&Path>) -> miette::Result<Result<Plan, i32>> {
    if let Some(file) = plan_file {
        return read_plan(file).map(Ok);
    }
    if paths.is_empty() {
        return Err(miette!(
            help = "pass `.rule` files or directories, or `--plan FILE`",
            "no rules given"
        ));
    }
    let fe = frontend::load(paths)?;
    if let Err(code) = frontend::require_no_errors(&fe) {
        return Ok(Err(code));
    }
    Ok(Ok(plan::compile(
        &fe.sources,
        &fe.files,
        &fe.checked.schema,
    )))
}

/// Reads a plan written by `rulec compile -o`; another format version is refused.
pub fn read_plan(file: &Path) -> miette::Result<Plan> {
    let text = std::fs::read_to_string(file)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read plan `{}`", file.display()))?;
    Plan::from_json(&text).map_err(|e| {
        miette!(
            help = "compile the rules again with this rulec: `rulec compile PATH... -o FILE`",
            "plan `{}`: {e}",
            file.display()
        )
    })
}

/// The secrets named, from `--secrets FILE` or the environment; a missing one is an
/// error naming it, before anything is produced.
pub fn load_secrets(args: &SecretArgs, names: &[String]) -> miette::Result<Secrets> {
    Secrets::load(args.secrets.as_deref(), names).map_err(|e| miette!("{e}"))
}

/// Events read from a file or standard input, and how to name their lines.
pub struct EventInput {
    /// The file name, or `None` for standard input.
    pub name: Option<String>,
    pub text: String,
}

impl EventInput {
    /// Reads `--events FILE` (or `-` for standard input).
    pub fn read(events: &str) -> miette::Result<EventInput> {
        if events == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .into_diagnostic()
                .wrap_err("cannot read events from standard input")?;
            return Ok(EventInput { name: None, text });
        }
        let text = std::fs::read_to_string(events)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read events `{events}`"))?;
        Ok(EventInput {
            name: Some(events.to_string()),
            text,
        })
    }

    /// `(line, text)` of each event: one JSON document or JSON lines.
    pub fn events(&self) -> Vec<(usize, &str)> {
        split_events(&self.text)
    }

    /// `FILE:LINE`, or `line N` for standard input.
    pub fn locate(&self, line: usize) -> String {
        match &self.name {
            Some(file) => format!("{file}:{line}"),
            None => format!("line {line}"),
        }
    }
}
