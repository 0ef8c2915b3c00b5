//! The async runtime: delivery, signing, retries, throttles, the run store, `serve`.
//!
//! Invariant: nothing is sent before it is stored. Events, their executions and the
//! pending actions are committed in one transaction ([`store::RunStore::record`]); the
//! delivery engine only ever works on actions the store handed out.

pub mod engine;
pub mod intake;
pub mod policy;
pub mod send;
pub mod serve;
pub mod service;
pub mod store;
pub mod target;
mod writer;

pub use engine::{EngineConfig, PendingAction, Report};
pub use service::{Options, Runtime};
