//! Parsing: `.rule` text to [`ast::File`] plus syntax diagnostics. Never fails at the API.

use crate::ast;
use crate::diag::Diagnostic;
use crate::source::SourceFile;

/// Parses one file. Broken items are skipped (with a diagnostic each); the rest are kept.
pub fn parse(file: &SourceFile) -> (ast::File, Vec<Diagnostic>) {
    // Placeholder until the grammar lands.
    (
        ast::File {
            source: file.id,
            items: Vec::new(),
        },
        Vec::new(),
    )
}
