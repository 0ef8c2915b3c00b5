//! Colour-off rendered reports of one example per syntax code, snapshotted: what a user
//! sees from `rulec check`. The structure is asserted in `syntax_errors.rs`.

use rulec::cli::render;
use rulec::source::SourceMap;

const EXAMPLES: &[(&str, &str)] = &[
    (
        "missing_then.rule",
        "rule \"Bugs\" {\n  when case.tagged\n  if case.tags contains \"Bug\" tehn {\n  }\n}\n",
    ),
    (
        "missing_comma.rule",
        "rule \"Bugs\" {\n  when case.tagged\n  post \"https://t.example/issues\" {\n    body {\n      \"case\": \"{{case.id}}\"\n      \"subject\": \"{{case.subject ?? ''}}\"\n    }\n  }\n}\n",
    ),
    (
        "bad_escape.rule",
        "rule \"Export\" {\n  when case.closed\n  post \"https://erp.example/import\" {\n    body { \"path\": \"C:\\exports\" }\n  }\n}\n",
    ),
    (
        "unterminated.rule",
        "rule \"Export\" {\n  when case.closed\n  post \"https://erp.example/import {\n  }\n}\n",
    ),
    (
        "bad_merge_tag.rule",
        "rule \"Export\" {\n  when case.closed\n  post \"https://erp.example/import\" {\n    body { \"case\": \"{{case.id}\" }\n  }\n}\n",
    ),
    (
        "duplicate_clause.rule",
        "rule \"Export\" {\n  when case.closed\n  post \"https://erp.example/import\" {\n    timeout 5 seconds\n    timeout 30 seconds\n  }\n}\n",
    ),
    (
        "too_deep.rule",
        "rule \"Nested\" {\n  when case.closed\n  if ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((case.id is empty)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))) then { }\n}\n",
    ),
];

#[test]
fn every_syntax_code_renders_readably() {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    for (name, text) in EXAMPLES {
        let id = sources.add(*name, *text);
        let (_, diags) = rulec::syntax::parse(sources.get(id));
        assert_eq!(diags.len(), 1, "{name}: {diags:#?}");
        diagnostics.extend(diags);
    }
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        ["E0001", "E0001", "E0002", "E0002", "E0003", "E0004", "E0005"]
    );
    let rendered = render::human(&sources, &diagnostics, false);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("syntax_rendered", rendered);
    });
}
