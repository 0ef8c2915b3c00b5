//! Every diagnostic code is documented in `docs/diagnostics.md` and shown by a broken
//! example, so the docs cannot fall behind `src/diag.rs`.

use rulec::diag::Code;

#[test]
fn every_code_has_a_section_in_the_diagnostics_doc() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md"))
        .expect("docs/diagnostics.md");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|code| !doc.contains(&format!("### {code}:")))
        .collect();
    assert!(missing.is_empty(), "codes without a section: {missing:?}");
}

#[test]
fn every_code_is_listed_once() {
    let mut codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), Code::ALL.len());
}
