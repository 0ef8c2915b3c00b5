//! rulec: a compiler and runtime for helpdesk automation rules.
//!
//! Data flows one way: [`syntax`] → [`check`] → [`plan`] → [`vm`] → [`runtime`];
//! [`cli`] sits on top. See `ARCHITECTURE.md`.

// pest is built without `std` (no stack probe per combinator; `syntax::prescan` bounds
// nesting instead) and its generated parser names `::alloc`.
extern crate alloc;

pub mod ast;
pub mod check;
pub mod cli;
pub mod diag;
pub mod explain;
pub mod plan;
pub mod runtime;
pub mod schema;
pub mod secrets;
pub mod sign;
pub mod source;
pub mod syntax;
pub mod vm;
