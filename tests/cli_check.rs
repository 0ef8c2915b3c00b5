//! `rulec check` through the real binary: exit codes, output formats, path handling.

use std::path::Path;
use std::process::{Command, Output};

fn rulec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulec"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run rulec")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const UNKNOWN_PATH: &str = r#"rule "typo" {
  when case.closed
  post "https://example.com/hook" {
    body { "subject": "{{case.subjet}}" }
  }
}
"#;

const HTTP_ONLY: &str = r#"rule "plain http" {
  when case.closed
  post "http://example.com/hook" {
    body { "case": "{{case.id}}" }
  }
}
"#;

#[test]
fn examples_check_clean_with_exit_0() {
    // `examples/*.rule` only: `examples/broken/` holds one mistake per file on purpose.
    let mut args = vec!["check".to_string(), "--deny-warnings".to_string()];
    let mut files: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rule"))
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    args.extend(files);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = rulec(&args, repo());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.contains("0 errors, 0 warnings"), "stderr: {stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn errors_exit_1_with_a_rendered_report_and_no_colour_when_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.rule"), UNKNOWN_PATH).unwrap();
    let out = rulec(&["check", "bad.rule"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("E0101"), "stderr: {stderr}");
    assert!(stderr.contains("bad.rule:4:"), "stderr: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour escape codes in piped output: {stderr}"
    );
}

#[test]
fn json_format_prints_one_object_per_diagnostic_on_stdout_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.rule"), UNKNOWN_PATH).unwrap();
    let out = rulec(&["check", "--format", "json", "bad.rule"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {stdout}");
    let d: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "E0101");
    assert_eq!(d["file"], "bad.rule");
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 26);
    assert!(d["message"].as_str().unwrap().contains("case.subjet"));
    assert!(d["help"].as_str().unwrap().contains("case.subject"));
    // The summary goes to stderr.
    assert!(text(&out.stderr).contains("1 error"));
}

#[test]
fn warnings_fail_only_under_deny_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("http.rule"), HTTP_ONLY).unwrap();
    let relaxed = rulec(&["check", "http.rule"], dir.path());
    assert_eq!(relaxed.status.code(), Some(0), "{}", text(&relaxed.stderr));
    assert!(text(&relaxed.stderr).contains("W0204"));
    let strict = rulec(&["check", "--deny-warnings", "http.rule"], dir.path());
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn directories_are_searched_recursively_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules/z")).unwrap();
    std::fs::write(
        dir.path().join("rules/z/a.rule"),
        UNKNOWN_PATH.replace("typo", "one"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/b.rule"),
        UNKNOWN_PATH.replace("typo", "two"),
    )
    .unwrap();
    std::fs::write(dir.path().join("rules/notes.txt"), "not a rule").unwrap();
    let out = rulec(&["check", "--format", "json", "rules"], dir.path());
    let files: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["file"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(files, ["rules/b.rule", "rules/z/a.rule"]);
}

#[test]
fn a_missing_path_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = rulec(&["check", "nope.rule"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nope.rule"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let out = rulec(&["check", "--frobnicate", "examples"], repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--frobnicate"));
}

#[test]
fn a_directory_without_rules_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = rulec(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no `.rule` files"),
        "{}",
        text(&out.stderr)
    );
}
