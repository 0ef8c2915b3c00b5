//! The checker: names, types, trigger availability and emptiness facts.

use crate::ast;
use crate::diag::Diagnostic;
use crate::schema::Schema;
use crate::source::SourceMap;

/// The result of checking a set of files.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Built-ins plus every `schema { }` declaration of the set.
    pub schema: Schema,
    /// Sorted by file, then position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks every file of a set together (rule names and schema blocks span files).
pub fn check(_sources: &SourceMap, _files: &[ast::File]) -> Checked {
    Checked::default()
}
