//! `rulec demo` from a directory without examples: check, plan, sign, deliver, retry
//! and the run log are all visible.

use std::process::Command;

#[test]
fn the_demo_shows_every_stage_working_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rulec"))
        .arg("demo")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "== check:",
        "0 errors",
        "== plan:",
        "hmac-sha256 signature ok",
        "standard-webhooks signature ok",
        "-> 500",
        "Attempt 2",
        "event rejected",
        "skipped",
        "suppressed",
        "== run log",
        "Authorization: Bearer ***",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(!text.contains("signature BAD"), "{text}");
    assert!(!text.contains("pending "), "{text}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "left files behind"
    );
}
