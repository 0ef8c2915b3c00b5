//! Loading `.rule` files and running the front end (parse + check) over them: shared by
//! every command that reads rules.

use std::path::{Path, PathBuf};

use miette::{miette, IntoDiagnostic, WrapErr};

use crate::ast;
use crate::check::{self, Checked};
use crate::diag::Diagnostic;
use crate::source::SourceMap;
use crate::syntax;

/// A parsed and checked set of files.
#[derive(Debug)]
pub struct Frontend {
    pub sources: SourceMap,
    pub files: Vec<ast::File>,
    pub checked: Checked,
    /// Syntax and check diagnostics, by file then position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Frontend {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn has_warnings(&self) -> bool {
        self.diagnostics.iter().any(|d| !d.is_error())
    }
}

/// Expands PATHs: files as given, directories searched recursively for `*.rule`, sorted.
pub fn collect_rule_files(paths: &[PathBuf]) -> miette::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read `{}`", path.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    if out.is_empty() {
        return Err(miette!(
            help = "pass `.rule` files or directories that contain some",
            "no `.rule` files found in {}",
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(out)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> miette::Result<()> {
    let entries = std::fs::read_dir(dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read directory `{}`", dir.display()))?;
    for entry in entries {
        let entry = entry.into_diagnostic()?;
        let path = entry.path();
        let file_type = entry.file_type().into_diagnostic()?;
        if file_type.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "rule") {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads, parses and checks every file under PATHs.
pub fn load(paths: &[PathBuf]) -> miette::Result<Frontend> {
    let mut sources = SourceMap::new();
    for path in collect_rule_files(paths)? {
        let text = std::fs::read_to_string(&path)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read `{}`", path.display()))?;
        sources.add(path.display().to_string(), text);
    }
    Ok(analyze(sources))
}

/// Parses and checks sources already in memory.
pub fn analyze(sources: SourceMap) -> Frontend {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for file in sources.files() {
        let (ast, syntax_diagnostics) = syntax::parse(file);
        diagnostics.extend(syntax_diagnostics);
        files.push(ast);
    }
    let checked = check::check(&sources, &files);
    diagnostics.extend(checked.diagnostics.iter().cloned());
    diagnostics.sort_by_key(|d| d.primary().map(|l| (l.file, l.span.start, l.span.end)));
    Frontend {
        sources,
        files,
        checked,
        diagnostics,
    }
}

/// For commands that need an error-free program: prints the diagnostics (errors and
/// warnings) to stderr and returns `Err(1)` if there are errors.
pub fn require_no_errors(frontend: &Frontend) -> Result<(), i32> {
    if frontend.diagnostics.is_empty() {
        return Ok(());
    }
    let color = super::render::stderr_color();
    eprint!(
        "{}",
        super::render::human(&frontend.sources, &frontend.diagnostics, color)
    );
    if frontend.has_errors() {
        eprintln!("{}", super::render::summary(&frontend.diagnostics));
        return Err(super::EXIT_RULE_ERRORS);
    }
    Ok(())
}
