//! The examples check clean; every file of `examples/broken` gets the diagnostic its first
//! comment names, rendered (colour off) as a snapshot in `snapshots/`.

#[path = "check/support.rs"]
mod support;

use std::path::{Path, PathBuf};

use rulec::cli::render;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `.rule` files directly in `dir`, sorted.
fn rule_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rule"))
        .collect();
    files.sort();
    files
}

/// Repository-relative path and text of each file.
fn load(files: &[PathBuf]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(repo()).unwrap().display().to_string();
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

fn frontend(files: &[(String, String)]) -> rulec::cli::frontend::Frontend {
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    support::frontend(&borrowed)
}

#[test]
fn the_examples_check_clean_together() {
    let files = load(&rule_files(&repo().join("examples")));
    assert!(files.len() >= 6, "examples: {files:?}");
    let fe = frontend(&files);
    let rendered = render::human(&fe.sources, &fe.diagnostics, false);
    assert!(fe.diagnostics.is_empty(), "{rendered}");
}

/// The code a broken example announces in its first line: `# E0101 unknown path: ...`.
fn announced_code(text: &str) -> &str {
    let first = text.lines().next().unwrap_or("");
    first
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap_or("")
}

fn snapshot(name: &str, files: &[(String, String)]) {
    let fe = frontend(files);
    for (path, text) in files {
        let code = announced_code(text);
        assert!(
            fe.diagnostics.iter().any(|d| d.code.as_str() == code),
            "{path} announces {code} but got {:?}",
            fe.diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        );
    }
    let rendered = render::human(&fe.sources, &fe.diagnostics, false);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, rendered);
    });
}

#[test]
fn every_broken_example_gets_its_diagnostic() {
    let broken = repo().join("examples/broken");
    let files = rule_files(&broken);
    assert!(files.len() >= 15, "broken examples: {files:?}");
    for file in &files {
        let stem = file.file_stem().unwrap().to_string_lossy();
        snapshot(&format!("broken_{stem}"), &load(std::slice::from_ref(file)));
    }
    // Duplicate rule names need two files checked together.
    let pair = load(&rule_files(&broken.join("duplicate_rule")));
    assert_eq!(pair.len(), 2);
    snapshot("broken_duplicate_rule", &pair);
}

#[test]
fn checking_any_prefix_of_the_examples_never_panics() {
    // Truncated files parse into partial trees with odd spans: the checker must cope.
    let mut files = rule_files(&repo().join("examples"));
    files.extend(rule_files(&repo().join("examples/broken")));
    for (path, text) in load(&files) {
        let cuts = (0..text.len())
            .step_by(17)
            .filter(|&i| text.is_char_boundary(i));
        for cut in cuts {
            let fe = support::frontend(&[(path.as_str(), &text[..cut])]);
            // Every label stays inside the text and the output is in position order.
            let starts: Vec<u32> = fe
                .diagnostics
                .iter()
                .map(|d| d.primary().unwrap().span.start)
                .collect();
            assert!(
                starts.windows(2).all(|w| w[0] <= w[1]),
                "{path} cut at {cut}"
            );
            for label in fe.diagnostics.iter().flat_map(|d| &d.labels) {
                assert!(
                    label.span.end as usize <= cut,
                    "{path} cut at {cut}: {label:?}"
                );
            }
        }
    }
}
