//! `rulec run` (not built yet).

use super::RunArgs;

pub fn run(_args: &RunArgs) -> miette::Result<i32> {
    Err(miette::miette!("`run` is not available in this build yet"))
}
