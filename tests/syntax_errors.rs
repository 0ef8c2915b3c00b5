//! Syntax diagnostics: each code with its line, column, message and help; recovery;
//! nesting limits.

use rulec::diag::{Code, Diagnostic};
use rulec::source::{SourceFile, SourceId};

fn diagnostics(text: &str) -> (SourceFile, Vec<Diagnostic>) {
    let file = SourceFile::new(SourceId(0), "test.rule", text);
    let (_, diags) = rulec::syntax::parse(&file);
    (file, diags)
}

/// The one diagnostic of `text`: (code, line, column, message, help).
fn only(text: &str) -> (Code, usize, usize, String, String) {
    let (file, diags) = diagnostics(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    let (line, col) = file.line_col(d.labels[0].span.start);
    (
        d.code,
        line,
        col,
        d.message.clone(),
        d.help.clone().unwrap_or_default(),
    )
}

fn rule_with(body: &str) -> String {
    format!("rule \"r\" {{\n  when case.closed\n{body}\n}}\n")
}

#[test]
fn e0001_missing_then_with_did_you_mean() {
    let text = rule_with("  if case.tags contains \"Bug\" tehn {\n  }");
    let (code, line, col, message, help) = only(&text);
    assert_eq!((code, line, col), (Code::Syntax, 3, 31));
    assert_eq!(message, "expected `then`, found `tehn`");
    assert_eq!(help, "did you mean `then`?");
}

#[test]
fn e0001_missing_condition() {
    let (code, line, col, message, help) = only(&rule_with("  if then { }"));
    assert_eq!((code, line, col), (Code::Syntax, 3, 6));
    assert_eq!(
        message,
        "expected a condition such as `case.tags contains \"Bug\"`, found `then`"
    );
    assert!(help.contains("case.subject is not empty"), "{help}");
}

#[test]
fn e0001_missing_closing_brace_at_end_of_file() {
    let text = "rule \"r\" {\n  when case.closed\n  post \"https://x.example\" {\n  }\n";
    let (code, line, col, message, help) = only(text);
    assert_eq!((code, line, col), (Code::Syntax, 5, 1));
    assert_eq!(
        message,
        "expected a statement (`if`, `parallel`, `post`, `put`, `patch` or `delete`) or `}`, \
         found end of file"
    );
    assert_eq!(help, "check that every `{` has a matching `}`");
}

#[test]
fn e0001_misspelt_keywords_get_suggestions() {
    let cases = [
        (
            rule_with("  post \"https://x\" { heade \"A\" = \"b\" }"),
            "did you mean `header`?",
        ),
        (
            "rul \"r\" { when case.closed }\n".to_owned(),
            "did you mean `rule`?",
        ),
        (
            "schema { field x: numbr }\n".to_owned(),
            "did you mean `number`?",
        ),
        (
            rule_with("  if case.id == \"a\" nd case.id == \"b\" then { }"),
            "did you mean `and`?",
        ),
        (
            "rule \"r\" { wen case.closed }\n".to_owned(),
            "did you mean `when`?",
        ),
        (
            rule_with("  post \"https://x\" { retry nevr }"),
            "did you mean `never`?",
        ),
    ];
    for (text, want) in cases {
        let (code, _, _, message, help) = only(&text);
        assert_eq!(code, Code::Syntax, "{text}");
        assert_eq!(help, want, "{text}: {message}");
    }
}

#[test]
fn e0001_bare_word_where_a_value_is_expected() {
    let (code, line, col, message, help) = only(&rule_with("  if case.status == open then { }"));
    assert_eq!((code, line, col), (Code::Syntax, 3, 21));
    assert_eq!(
        message,
        "expected a value (`\"text\"`, a number, `true` or `false`) or a path such as \
         `case.subject`, found `open`"
    );
    assert!(help.contains("`case.status == \"open\"`"), "{help}");
}

#[test]
fn e0001_json_body_punctuation() {
    let text = rule_with("  post \"https://x\" {\n    body { \"a\": 1 \"b\": 2 }\n  }");
    let (code, line, col, message, _) = only(&text);
    assert_eq!((code, line, col), (Code::Syntax, 4, 19));
    assert_eq!(message, "expected `,` or `}`, found `\"b\"`");
    let text = rule_with("  post \"https://x\" { body { \"a\" 1 } }");
    let (_, line, col, message, help) = only(&text);
    assert_eq!((line, col), (3, 33));
    assert_eq!(message, "expected `:`, found `1`");
    assert_eq!(help, "a body member is written `\"key\": value`");
}

#[test]
fn messages_never_leak_pest_names() {
    let broken = [
        rule_with("  if case.tags foo \"x\" then { }"),
        rule_with("  throttle 5 per minit"),
        rule_with("  post \"https://x\" { retry 3 }"),
        rule_with("  post \"https://x\" { sign md5 with secrets.K }"),
        rule_with("  if (case.id == \"a\" then { }"),
        "schema { field x: one of (\"a\" \"b\") }".to_owned(),
        "}}}".to_owned(),
    ];
    for text in broken {
        let (file, diags) = diagnostics(&text);
        assert!(!diags.is_empty(), "{text}");
        for d in diags {
            let all = format!("{} {:?} {}", d.message, d.help, d.labels[0].message);
            for leak in [
                "kw_",
                "p_",
                "cmp_op",
                "json_",
                "strict_item",
                "-->",
                "positives",
            ] {
                assert!(!all.contains(leak), "{text}: {all}");
            }
            assert!(!d.message.ends_with('.'), "{}", d.message);
            assert!(file.text.get(d.labels[0].span.range()).is_some());
        }
    }
}

#[test]
fn e0002_bad_escape_points_at_the_escape() {
    let text = rule_with("  post \"https://x\" {\n    body { \"a\": \"x\\q\" }\n  }");
    let (code, line, col, message, help) = only(&text);
    assert_eq!((code, line, col), (Code::BadString, 4, 19));
    assert_eq!(message, "invalid escape `\\q` in string");
    assert!(help.starts_with("valid escapes are"), "{help}");
}

#[test]
fn e0002_unterminated_string_points_at_its_quote() {
    let text = rule_with("  post \"https://x {\n  }");
    let (code, line, col, message, help) = only(&text);
    assert_eq!((code, line, col), (Code::BadString, 3, 8));
    assert_eq!(message, "unterminated string");
    assert_eq!(
        help,
        "close the string with `\"`; a string cannot span lines (write `\\n` for a line break)"
    );
}

#[test]
fn e0002_lone_surrogate_escape() {
    let text = rule_with("  post \"https://x\" { header \"A\" = \"\\ud800\" }");
    let (code, line, col, message, _) = only(&text);
    assert_eq!((code, line, col), (Code::BadString, 3, 36));
    assert_eq!(message, "invalid unicode escape `\\ud800` in string");
}

#[test]
fn e0003_malformed_merge_tag_in_a_string() {
    let text = rule_with("  post \"https://x\" {\n    body { \"a\": \"x {{case.id }\" }\n  }");
    let (code, line, col, message, help) = only(&text);
    assert_eq!((code, line, col), (Code::BadMergeTag, 4, 30));
    assert_eq!(
        message,
        "malformed merge tag: expected `}}` or `??` after the path, found `}`"
    );
    assert!(help.starts_with("close the merge tag with `}}`"), "{help}");
}

#[test]
fn e0003_bare_merge_tag_without_a_path() {
    let text = rule_with("  post \"https://x\" {\n    body { \"a\": {{ 5 }} }\n  }");
    let (code, line, col, message, _) = only(&text);
    assert_eq!((code, line, col), (Code::BadMergeTag, 4, 20));
    assert_eq!(
        message,
        "malformed merge tag: expected a path such as `case.id`, found `5`"
    );
}

#[test]
fn e0003_bad_fallback() {
    let text = rule_with("  post \"https://x\" { header \"A\" = \"{{case.id ?? none}}\" }");
    let (code, _, col, message, help) = only(&text);
    assert_eq!((code, col), (Code::BadMergeTag, 49));
    assert_eq!(
        message,
        "malformed merge tag: expected a fallback after `??`, found `none`"
    );
    assert!(help.contains("single-quoted string"), "{help}");
}

#[test]
fn e0004_duplicate_clause_labels_both() {
    let text =
        rule_with("  post \"https://x\" {\n    body { }\n    timeout 5 seconds\n    body { }\n  }");
    let (file, diags) = diagnostics(&text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::DuplicateClause);
    assert_eq!(d.message, "duplicate `body` clause in this action");
    assert_eq!(
        d.help.as_deref(),
        Some("an action takes at most one `body`; remove one of them")
    );
    assert_eq!(file.line_col(d.labels[0].span.start), (6, 5));
    assert_eq!(file.slice(d.labels[0].span), "body");
    assert_eq!(d.labels[0].message, "second `body` here");
    assert_eq!(file.line_col(d.labels[1].span.start), (4, 5));
    assert_eq!(d.labels[1].message, "first `body` here");
}

#[test]
fn e0004_every_single_use_clause() {
    for (clause, again) in [
        ("sign", "sign standard-webhooks with secrets.A"),
        ("timeout", "timeout 1 second"),
        ("retry", "retry never"),
    ] {
        let text = rule_with(&format!("  post \"https://x\" {{ {again} {again} }}"));
        let (code, _, _, message, _) = only(&text);
        assert_eq!(code, Code::DuplicateClause);
        assert_eq!(
            message,
            format!("duplicate `{clause}` clause in this action")
        );
    }
}

#[test]
fn e0005_deep_brackets_are_reported_and_other_items_survive() {
    let depth = rulec::syntax::MAX_NESTING + 1;
    let body = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let text = format!(
        "rule \"deep\" {{\n  when case.closed\n  post \"https://x\" {{ body {body} }}\n}}\nrule \"ok\" {{ when case.closed }}\n"
    );
    let file = SourceFile::new(SourceId(0), "t.rule", text);
    let (ast, diags) = rulec::syntax::parse(&file);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::TooDeep);
    assert_eq!(
        d.message,
        "nesting is too deep (more than 64 levels of brackets)"
    );
    // The rule's and the action's braces count too: the 63rd `[` is level 65.
    assert_eq!(file.line_col(d.labels[0].span.start), (3, 27 + 62));
    assert!(d
        .help
        .as_deref()
        .unwrap_or("")
        .starts_with("flatten the rule"));
    assert_eq!(ast.items.len(), 1);
}

#[test]
fn e0005_long_condition_chains() {
    let terms = vec!["case.id == \"a\""; rulec::syntax::MAX_COND_DEPTH + 2].join(" and ");
    let (code, line, col, message, help) = only(&rule_with(&format!("  if {terms} then {{ }}")));
    assert_eq!((code, line, col), (Code::TooDeep, 3, 6));
    assert_eq!(
        message,
        "condition is nested too deeply (more than 100 operators)"
    );
    assert!(help.starts_with("split the condition"), "{help}");
    let nots = "not ".repeat(100_000);
    let (code, ..) = only(&rule_with(&format!(
        "  if {nots}case.id is empty then {{ }}"
    )));
    assert_eq!(code, Code::TooDeep);
}

#[test]
fn nesting_up_to_the_limit_parses() {
    // Debug builds use the most stack; this runs on the test thread's default stack.
    let n = rulec::syntax::MAX_NESTING;
    let json = format!("{}1{}", "[".repeat(n - 3), "]".repeat(n - 3));
    let text = rule_with(&format!("  post \"https://x\" {{ body {json} }}"));
    let (_, diags) = diagnostics(&text);
    assert!(diags.is_empty(), "{diags:#?}");
    let object = format!("{}1{}", "{\"a\": ".repeat(n - 2), "}".repeat(n - 2));
    let text = rule_with(&format!("  post \"https://x\" {{ body {object} }}"));
    let (_, diags) = diagnostics(&text);
    assert!(diags.is_empty(), "{diags:#?}");
    let cond = format!("{}case.id is empty{}", "(".repeat(n - 2), ")".repeat(n - 2));
    let (_, diags) = diagnostics(&rule_with(&format!("  if {cond} then {{ }}")));
    assert!(diags.is_empty(), "{diags:#?}");
    let mut blocks = String::new();
    for _ in 0..n - 2 {
        blocks.push_str("if case.id is empty then { ");
    }
    blocks.push_str(&"} ".repeat(n - 2));
    let (_, diags) = diagnostics(&rule_with(&blocks));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn nesting_at_the_limit_fits_in_a_small_stack() {
    // A margin check: the deepest accepted input must parse on far less than the 2 MiB
    // of a test thread (pest runs without its stack probe; `prescan` is the guard).
    let n = rulec::syntax::MAX_NESTING;
    let object = format!("{}1{}", "{\"a\": ".repeat(n - 2), "}".repeat(n - 2));
    let text = format!("rule \"r\" {{ when case.closed post \"https://x\" {{ body {object} }} }}");
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || diagnostics(&text).1.len())
        .unwrap();
    assert_eq!(handle.join().unwrap(), 0);
}

const STACK: usize = 512 * 1024;

#[test]
fn e0001_help_says_how_to_write_it() {
    // (body of a rule, message, help)
    let cases = [
        (
            "  if case.id = \"x\" then { }",
            "expected an operator such as `contains`, `==`, `in` or `is not empty`, found `=`",
            "did you mean `==`?",
        ),
        (
            "  if case.id == \"a\" && case.id == \"b\" then { }",
            "expected `then`, found `&`",
            "join conditions with `and` and `or`, e.g. `A and B`",
        ),
        (
            "  post https://x.example { }",
            "expected a quoted string, found `https`",
            "put the URL in double quotes: `post \"https://example.com/hook\" { ... }`",
        ),
        (
            "  post \"https://x\" { header \"A\": \"b\" }",
            "expected `=`, found `:`",
            "a header is written `header \"Name\" = \"value\"`",
        ),
        (
            "  post \"https://x\" { body { \"a\": 1, } }",
            "expected a string such as `\"text\"`, found `}`",
            "remove the `,` before the closing bracket: JSON allows none there",
        ),
        (
            "  parallel { if case.id is empty then { } }",
            "expected an action (`post`, `put`, `patch` or `delete`) or `}`, found `if`",
            "`parallel` holds actions only; put the `if` around the `parallel` block instead",
        ),
        (
            "  if case.id is empty then { } else post \"https://x\" { }",
            "expected `if` or `{`, found `post`",
            "after `else` comes `if COND then { ... }` or a block `{ ... }`",
        ),
        (
            "  throttle 5 minute",
            "expected `per`, found `minute`",
            "a rate is written `N per minute` or `N per 10 minutes`",
        ),
        (
            "  post \"https://x\" { body { \"a\": undefined } }",
            "expected a JSON value, found `undefined`",
            "a JSON value is a string, a number, `true`, `false`, `null`, an object, an array \
             or a merge tag such as `{{case.id}}`",
        ),
    ];
    for (body, message, help) in cases {
        let (code, line, _, got_message, got_help) = only(&rule_with(body));
        assert_eq!((code, line), (Code::Syntax, 3), "{body}");
        assert_eq!(got_message, message, "{body}");
        assert_eq!(got_help, help, "{body}");
    }
    let (_, _, _, message, help) = only("schema {\n  field x text\n}\n");
    assert_eq!(message, "expected `:`, found `text`");
    assert_eq!(
        help,
        "a custom field is declared `field NAME: TYPE`, e.g. `field refund_amount: number`"
    );
    let (_, _, _, _, help) = only("rule \"r\" {\n  when closed\n}\n");
    assert!(
        help.starts_with("a trigger is one of `case.created`"),
        "{help}"
    );
}
