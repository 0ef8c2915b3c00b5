//! `rulec compile` through the real binary.

use std::path::PathBuf;
use std::process::Command;

fn rulec() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rulec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn the_listing_goes_to_stdout() {
    let out = rulec()
        .args(["compile", "examples/finance.rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("cli_compile_finance", stdout);
    });
}

#[test]
fn emit_ast_prints_the_tree() {
    let out = rulec()
        .args(["compile", "--emit", "ast", "examples/signed.rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Rule("), "{stdout}");
    assert!(stdout.contains("StandardWebhooks"), "{stdout}");
}

#[test]
fn output_writes_a_versioned_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    let out = rulec()
        .args(["compile", "examples/finance.rule", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let plan = rulec::plan::Plan::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(plan.version, rulec::plan::FORMAT_VERSION);
    assert_eq!(plan.rules[0].name, "VIP refund to finance");
    assert_eq!(
        plan.secret_names(),
        vec!["FINANCE_SIGNING_KEY", "FINANCE_TOKEN"]
    );
}

#[test]
fn rules_with_errors_exit_one_with_diagnostics() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/broken/unknown_path.rule");
    let out = rulec().arg("compile").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let out = rulec().args(["compile", "no/such.rule"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
