//! `rulec runs` (not built yet).

use super::RunsArgs;

pub fn run(_args: &RunsArgs) -> miette::Result<i32> {
    Err(miette::miette!("`runs` is not available in this build yet"))
}
