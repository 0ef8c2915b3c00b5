//! `rulec runs rerun ID` (needs the secrets module).

use super::RunsCommand;

/// Sends an execution's actions again.
pub fn run(_cmd: &RunsCommand) -> miette::Result<i32> {
    Err(miette::miette!("`runs rerun` is not available in this build yet"))
}
