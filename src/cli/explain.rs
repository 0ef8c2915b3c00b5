//! `rulec explain PATH... --event FILE`: per rule, the trigger match, each condition's
//! value with the field values it read, the branch taken and the requests it would send.

use super::inputs::EventInput;
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
    // Explain never needs a secret's value (it computes no signature): every secret
    // renders as `***`, so none can leak and none has to be provided.
    let secrets = Secrets::from_pairs(plan.secret_names().into_iter().map(|n| (n, "***")));
    let input = EventInput::read(&args.event.display().to_string())?;
    let mut rejected = 0;
    let mut first = true;
    for (line, json) in input.events() {
        let event = match vm::decode_event(&plan, json) {
            Ok(event) => event,
            Err(e) => {
                eprintln!("{}: event rejected: {e}", input.locate(line));
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
