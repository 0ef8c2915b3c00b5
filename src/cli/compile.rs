//! `rulec compile` (not built yet).

use super::CompileArgs;

pub fn run(_args: &CompileArgs) -> miette::Result<i32> {
    Err(miette::miette!(
        "`compile` is not available in this build yet"
    ))
}
