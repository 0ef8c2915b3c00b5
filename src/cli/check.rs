//! `rulec check PATH...`

use super::frontend;
use super::render;
use super::{CheckArgs, Format, EXIT_OK, EXIT_RULE_ERRORS};

pub fn run(args: &CheckArgs) -> miette::Result<i32> {
    let fe = frontend::load(&args.paths)?;
    match args.format {
        Format::Json => {
            // Diagnostics only on stdout; the summary goes to stderr (spec §10).
            for d in &fe.diagnostics {
                println!("{}", render::json_line(&fe.sources, d));
            }
        }
        Format::Human => {
            eprint!(
                "{}",
                render::human(&fe.sources, &fe.diagnostics, render::stderr_color())
            );
        }
    }
    let files = fe.sources.files().len();
    eprintln!(
        "checked {files} file{}: {}",
        if files == 1 { "" } else { "s" },
        render::summary(&fe.diagnostics)
    );
    let failed = fe.has_errors() || (args.deny_warnings && fe.has_warnings());
    Ok(if failed { EXIT_RULE_ERRORS } else { EXIT_OK })
}
