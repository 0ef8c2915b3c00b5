//! The `rulec` command line: argument parsing and dispatch, one file per command.
//!
//! Each command returns `Ok(exit_code)` or a miette report for the CLI's own errors
//! (unreadable path, bad configuration), which exit with 2. Exit codes (spec §9): 0
//! success; 1 the rules have errors; 2 usage, I/O or configuration error; 3 `run` finished
//! but some event was rejected or some action failed or is pending.

pub mod check;
pub mod compile;
pub mod demo;
pub mod dry_run;
pub mod explain;
pub mod frontend;
pub mod inputs;
pub mod render;
pub mod rerun;
pub mod run;
pub mod runlog;
pub mod runs;
pub mod serve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the rules have errors (or warnings under `--deny-warnings`).
pub const EXIT_RULE_ERRORS: i32 = 1;
/// Exit code: usage, I/O or configuration error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: a run finished but some event was rejected or some action failed or is pending.
pub const EXIT_INCOMPLETE: i32 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "rulec",
    version,
    about = "Compile, check and run helpdesk automation rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check rules and print diagnostics.
    Check(CheckArgs),
    /// Print the compiled plan (or the AST), or write it with `-o`.
    Compile(CompileArgs),
    /// Show, per rule, how an event is evaluated and what would be sent.
    Explain(ExplainArgs),
    /// Execute rules over events (or print the requests with `--dry-run`).
    Run(RunArgs),
    /// Read the run log.
    Runs(RunsArgs),
    /// Serve the HTTP intake for events and the run log.
    Serve(ServeArgs),
    /// Run the examples against a local receiver and print the run log.
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// `.rule` files or directories (searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Emit {
    #[default]
    Plan,
    Ast,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Emit::Plan)]
    pub emit: Emit,
    /// Write the plan (JSON, versioned) to this file for `run --plan`.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

/// Where secrets come from: `--secrets FILE` (`NAME=value` lines) wins over
/// `RULEC_SECRET_<NAME>` variables.
#[derive(Debug, Args, Clone, Default)]
pub struct SecretArgs {
    #[arg(long)]
    pub secrets: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// A file holding one JSON event (or JSON lines: every event is explained).
    #[arg(long)]
    pub event: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// `.rule` files or directories; not with `--plan`.
    pub paths: Vec<PathBuf>,
    /// JSON lines of events, or `-` for standard input.
    #[arg(long)]
    pub events: String,
    /// Run a plan written by `compile -o` instead of `.rule` files.
    #[arg(long, conflicts_with = "paths")]
    pub plan: Option<PathBuf>,
    /// Send nothing; print each request as one JSON line.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Return once every remaining retry is further away than this many seconds (at most
    /// a week).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=604_800))]
    pub wait: u64,
    /// Allow targets on loopback, private, link-local and unspecified addresses.
    #[arg(long)]
    pub allow_private_targets: bool,
}

#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The run store (SQLite).
    #[arg(long, default_value = ".rulec/runs.db")]
    pub store: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub command: RunsCommand,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Executions, newest first.
    List {
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        case: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// One execution with its actions and attempts.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Send an execution's actions again now.
    Rerun {
        id: String,
        /// Mint fresh Idempotency-Keys instead of reusing the originals.
        #[arg(long)]
        new_key: bool,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        secrets: SecretArgs,
        #[arg(long)]
        allow_private_targets: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    pub paths: Vec<PathBuf>,
    #[arg(long, conflicts_with = "paths")]
    pub plan: Option<PathBuf>,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    #[arg(long)]
    pub listen: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[arg(long)]
    pub allow_private_targets: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's run store here instead of a temporary directory.
    #[arg(long)]
    pub store: Option<PathBuf>,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return EXIT_OK;
            }
            let rendered = e.render().to_string();
            let message = rendered.trim_end().trim_start_matches("error: ");
            let report = miette::miette!("{message}");
            eprintln!("{report:?}");
            return EXIT_USAGE;
        }
    };
    let outcome = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Compile(args) => compile::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Run(args) if args.dry_run => dry_run::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Runs(args) => runs::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            EXIT_USAGE
        }
    }
}
