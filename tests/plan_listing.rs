//! The plan listing of every example, snapshotted.

use std::path::{Path, PathBuf};

use rulec::cli::frontend::load;
use rulec::plan;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rule"))
        .collect();
    files.sort();
    files
}

/// Relative paths keep the listing free of this machine's directories.
fn listing(paths: &[PathBuf]) -> Option<String> {
    std::env::set_current_dir(root()).unwrap();
    let relative: Vec<PathBuf> = paths
        .iter()
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    let fe = load(&relative).unwrap();
    if fe.has_errors() {
        return None;
    }
    Some(plan::compile(&fe.sources, &fe.files, &fe.checked.schema).listing())
}

fn name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_example_alone_and_the_whole_set() {
    let files = example_files();
    let mut need_the_set = Vec::new();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        for file in &files {
            match listing(std::slice::from_ref(file)) {
                Some(text) => insta::assert_snapshot!(format!("plan_{}", name(file)), text),
                None => need_the_set.push(name(file)),
            }
        }
        insta::assert_snapshot!("plan_all_examples", listing(&files).expect("the examples check"));
    });
    // Every example declares what it reads, so each compiles on its own too.
    assert!(
        need_the_set.is_empty(),
        "examples that compile only in the set: {need_the_set:?}"
    );
}
