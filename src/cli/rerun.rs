//! `rulec runs rerun ID [--new-key]`: send an execution's actions again now.

use std::time::Duration;

use miette::miette;

use super::runs::open_existing;
use super::{runlog, Format, RunsCommand, EXIT_INCOMPLETE, EXIT_OK};
use crate::runtime::store::{RunStore, SecretValues, Status};
use crate::runtime::{Options, Runtime};

/// How long a rerun waits for retries before leaving them to the next `run`.
const RERUN_WAIT: Duration = Duration::from_secs(60);

/// Runs `rulec runs rerun`.
pub fn run(cmd: &RunsCommand) -> miette::Result<i32> {
    let RunsCommand::Rerun {
        id,
        new_key,
        format,
        store,
        secrets,
        allow_private_targets,
    } = cmd
    else {
        return Err(miette!("internal: `rerun` called for another command"));
    };
    let path = &store.store;
    let exec = open_existing(path)?
        .execution(id)
        .map_err(|e| miette!("{e}"))?
        .ok_or_else(|| {
            miette!(
                help = "list executions with `rulec runs list`",
                "no execution `{id}` in `{}`",
                path.display()
            )
        })?;
    let mut names: Vec<String> = exec
        .actions
        .iter()
        .flat_map(|a| a.request.secret_names())
        .collect();
    names.sort();
    names.dedup();
    let loaded = super::inputs::load_secrets(secrets, &names)?;
    let values = SecretValues::new(
        names
            .iter()
            .filter_map(|n| loaded.get(n).map(|v| (n.clone(), v.to_string()))),
    );
    let options = Options {
        allow_private_targets: *allow_private_targets,
        resume: false,
        ..Options::default()
    };
    let rt = super::run::tokio_runtime()?;
    let detail = rt.block_on(async {
        let runtime = Runtime::open_sqlite(path, values, options).await?;
        runtime.rerun(id, *new_key).await?;
        runtime.idle(RERUN_WAIT).await?;
        runtime.stop().await?;
        let id = id.clone();
        let store = crate::runtime::store::SqliteStore::open(path)?;
        store.show(&id)
    });
    let detail = detail
        .map_err(|e| miette!("{e}"))?
        .ok_or_else(|| miette!("execution `{id}` disappeared from the run store"))?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string(&detail).map_err(|e| miette!("{e}"))?
        ),
        Format::Human => {
            print!("{}", runlog::execution_page(&detail));
            println!(
                "\nexecution {} is now {}",
                detail.id,
                detail.status.as_str()
            );
        }
    }
    Ok(if detail.status == Status::Succeeded {
        EXIT_OK
    } else {
        EXIT_INCOMPLETE
    })
}
