//! The VM: decodes events into slots, evaluates a plan, renders templates and yields
//! [`effect::Execution`]s. Synchronous: no tokio, no I/O.
//!
//! - [`decode_event`]: one JSON event into one value per slot, checked (spec §10).
//! - [`evaluate`]: every rule triggered by the event, in rule order.
//! - [`select`]: one rule's branch and actions without rendering (for benchmarks, tests).

mod decode;
pub mod effect;
mod eval;
pub mod render;
mod split;
mod stamp;
mod value;

pub use decode::{decode_event, Event, EventError};
pub use eval::{branch_path, evaluate, select, Selected, Selection};
pub use split::split_events;
pub use stamp::parse_stamp;
pub use value::{Stamp, Value};
