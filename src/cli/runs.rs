//! `rulec runs list|show|rerun`: read the run log, send an execution again.

use std::path::Path;

use miette::miette;

use super::runlog;
use super::{Format, RunsArgs, RunsCommand, EXIT_OK};
use crate::runtime::store::{ListFilter, RunStore, SqliteStore, Status};

/// Runs `rulec runs ...`.
pub fn run(args: &RunsArgs) -> miette::Result<i32> {
    match &args.command {
        RunsCommand::List {
            rule,
            status,
            case,
            format,
            store,
        } => {
            let status = match status {
                Some(s) => Some(Status::parse(s).ok_or_else(|| {
                    miette!(
                        help = "use one of `pending`, `succeeded`, `failed`, `suppressed`",
                        "unknown status `{s}`"
                    )
                })?),
                None => None,
            };
            let filter = ListFilter {
                rule: rule.clone(),
                status,
                case: case.clone(),
                limit: None,
            };
            list(&store.store, &filter, *format)
        }
        RunsCommand::Show { id, format, store } => show(&store.store, id, *format),
        RunsCommand::Rerun { .. } => super::rerun::run(&args.command),
    }
}

/// Opens an existing store (a missing one is an error, not an empty log).
pub fn open_existing(path: &Path) -> miette::Result<SqliteStore> {
    if !path.exists() {
        return Err(miette!(
            help = "run `rulec run` first, or pass the store with `--store`",
            "run store `{}` does not exist",
            path.display()
        ));
    }
    SqliteStore::open(path).map_err(|e| miette!("{e}"))
}

fn list(path: &Path, filter: &ListFilter, format: Format) -> miette::Result<i32> {
    let store = open_existing(path)?;
    let rows = store.list(filter).map_err(|e| miette!("{e}"))?;
    match format {
        Format::Json => {
            for r in &rows {
                println!("{}", serde_json::to_string(r).map_err(|e| miette!("{e}"))?);
            }
        }
        Format::Human => print!("{}", runlog::list_table(&rows)),
    }
    Ok(EXIT_OK)
}

fn show(path: &Path, id: &str, format: Format) -> miette::Result<i32> {
    let store = open_existing(path)?;
    let detail = store.show(id).map_err(|e| miette!("{e}"))?.ok_or_else(|| {
        miette!(
            help = "list executions with `rulec runs list`",
            "no execution `{id}` in `{}`",
            path.display()
        )
    })?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string(&detail).map_err(|e| miette!("{e}"))?
        ),
        Format::Human => print!("{}", runlog::execution_page(&detail)),
    }
    Ok(EXIT_OK)
}
