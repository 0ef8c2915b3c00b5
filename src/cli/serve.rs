//! `rulec serve PATH... --listen ADDR`: the HTTP intake and run log.

use std::sync::Arc;

use miette::miette;

use super::inputs::{self, load_plan};
use super::run::tokio_runtime;
use super::{ServeArgs, EXIT_OK};
use crate::runtime::intake::Intake;
use crate::runtime::serve::{serve, shutdown_signal, AppState};
use crate::runtime::{EngineConfig, Options, Runtime};

/// Runs `rulec serve` until ctrl-c or SIGTERM.
pub fn run(args: &ServeArgs) -> miette::Result<i32> {
    let plan = match load_plan(&args.paths, args.plan.as_deref())? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let secrets = inputs::load_secrets(&args.secrets, &plan.secret_names())?;
    let intake = Intake::new(plan, secrets);
    let options = Options {
        allow_private_targets: args.allow_private_targets,
        engine: EngineConfig {
            report_finished: false,
            ..EngineConfig::default()
        },
        ..Options::default()
    };
    tokio_runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| miette!("cannot listen on `{}`: {e}", args.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| miette!("cannot listen on `{}`: {e}", args.listen))?;
        let runtime = Runtime::open_sqlite(&args.store.store, intake.secret_values(), options)
            .await
            .map_err(|e| miette!("{e}"))?;
        if runtime.resumed > 0 {
            eprintln!("resuming {} unfinished execution(s)", runtime.resumed);
        }
        eprintln!("listening on http://{addr}");
        let state = Arc::new(AppState { intake, runtime });
        serve(listener, state, shutdown_signal())
            .await
            .map_err(|e| miette!("{e}"))?;
        eprintln!(
            "stopped; every accepted event is in `{}`",
            args.store.store.display()
        );
        Ok(EXIT_OK)
    })
}
