//! `rulec compile`: the plan's readable listing, the AST, or the plan written as JSON.

use miette::{IntoDiagnostic, WrapErr};

use super::{frontend, CompileArgs, Emit, EXIT_OK};
use crate::plan;

/// Compiles PATHs; prints the listing (or the AST), or writes the output file.
pub fn run(args: &CompileArgs) -> miette::Result<i32> {
    if args.emit == Emit::Ast && args.output.is_some() {
        return Err(miette::miette!(
            help = "drop `--emit ast` to write a plan, or drop `-o` to print the AST",
            "`-o` writes a plan for `run --plan`; the AST is only printed"
        ));
    }
    let fe = frontend::load(&args.paths)?;
    if let Err(code) = frontend::require_no_errors(&fe) {
        return Ok(code);
    }
    let text = match args.emit {
        Emit::Ast => format!("{:#?}\n", fe.files),
        Emit::Plan => {
            let plan = plan::compile(&fe.sources, &fe.files, &fe.checked.schema);
            if args.output.is_some() {
                plan.to_json()
            } else {
                plan.listing()
            }
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write `{}`", path.display()))?;
            eprintln!("wrote `{}`", path.display());
        }
        None => print!("{text}"),
    }
    Ok(EXIT_OK)
}
