//! `rulec explain PATH... --event FILE`: per rule, the trigger match, each condition's
//! value with the field values it read, the branch taken and the requests it would send.

use miette::{miette, IntoDiagnostic, WrapErr};

use super::{frontend, ExplainArgs, Format, EXIT_INCOMPLETE, EXIT_OK};
use crate::explain;
use crate::plan;
use crate::secrets::Secrets;
use crate::vm;

/// Explains every event of the file (one JSON document, or JSON lines).
pub fn run(args: &ExplainArgs) -> miette::Result<i32> {
    let fe = frontend::load(&args.paths)?;
    if let Err(code) = frontend::require_no_errors(&fe) {
        return Ok(code);
    }
    let plan = plan::compile(&fe.sources, &fe.files, &fe.checked.schema);
    let secrets =
        Secrets::load_or_placeholder(args.secrets.secrets.as_deref(), &plan.secret_names())
            .map_err(|e| miette!("{e}"))?;
    let text = std::fs::read_to_string(&args.event)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read event `{}`", args.event.display()))?;
    let mut rejected = 0;
    let mut first = true;
    for (line, json) in events(&text) {
        let event = match vm::decode_event(&plan, json) {
            Ok(event) => event,
            Err(e) => {
                eprintln!("{}:{line}: event rejected: {e}", args.event.display());
                rejected += 1;
                continue;
            }
        };
        let reports =
            explain::explain(&fe.sources, &fe.files, &fe.checked.schema, &event, &secrets);
        match args.format {
            Format::Human => {
                if !first {
                    println!();
                }
                print!("{}", explain::human(&event, &reports, &secrets));
            }
            Format::Json => {
                for line in explain::json(&event, &reports, &secrets) {
                    println!("{line}");
                }
            }
        }
        first = false;
    }
    Ok(if rejected > 0 {
        EXIT_INCOMPLETE
    } else {
        EXIT_OK
    })
}

/// `(line, text)` of each event: the whole file when it is one JSON document (possibly
/// pretty-printed), else each non-blank line.
fn events(text: &str) -> Vec<(usize, &str)> {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        let line = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0) + 1;
        return vec![(line, text)];
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect()
}
