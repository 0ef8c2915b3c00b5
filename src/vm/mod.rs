//! The VM: decodes events into slots, evaluates a plan, renders templates and yields
//! [`effect::Execution`]s. Synchronous: no tokio, no I/O.

pub mod effect;
