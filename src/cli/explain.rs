//! `rulec explain` (not built yet).

use super::ExplainArgs;

pub fn run(_args: &ExplainArgs) -> miette::Result<i32> {
    Err(miette::miette!(
        "`explain` is not available in this build yet"
    ))
}
