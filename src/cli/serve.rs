//! `rulec serve` (not built yet).

use super::ServeArgs;

pub fn run(_args: &ServeArgs) -> miette::Result<i32> {
    Err(miette::miette!(
        "`serve` is not available in this build yet"
    ))
}
