//! `rulec demo` (not built yet).

use super::DemoArgs;

pub fn run(_args: &DemoArgs) -> miette::Result<i32> {
    Err(miette::miette!("`demo` is not available in this build yet"))
}
