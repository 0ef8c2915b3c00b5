//! Diagnostics as data: a stable code, a severity, a message, labelled spans and help.
//!
//! Nothing here renders: `cli::render` turns diagnostics into ariadne reports or JSON
//! lines. Messages are one lowercase line with user input in backticks and no trailing
//! period; the fix goes in `help`. Every code is documented in `docs/diagnostics.md`.

use crate::source::{SourceId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Every diagnostic the front end can emit. The string form (`E0101`) is stable: tools
/// and docs refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // --- syntax (E00xx)
    /// The text does not parse: expected tokens are named in the message.
    Syntax,
    /// A string literal has an invalid escape or is not terminated.
    BadString,
    /// A `{{ ... }}` merge tag inside a string is malformed.
    BadMergeTag,
    /// An action clause (`body`, `sign`, `timeout`, `retry`) appears twice.
    DuplicateClause,
    /// Conditions, blocks or JSON nested deeper than the parser allows.
    TooDeep,
    // --- names and types (E01xx)
    /// A path that the schema does not know.
    UnknownPath,
    /// A path that exists but not under the rule's trigger.
    PathNotAvailable,
    /// An operator applied to operands of the wrong types.
    TypeMismatch,
    /// A literal that can never match a `one of` type.
    ImpossibleLiteral,
    /// `secrets.NAME` without `secret NAME` in a schema block.
    UndeclaredSecret,
    /// A secret used outside a header value or `sign ... with`.
    MisplacedSecret,
    /// A tag literal not declared with `tags`.
    UndeclaredTag,
    /// Two rules with the same name.
    DuplicateRule,
    /// A JSON body template that is not valid (duplicate keys, ...).
    BadBody,
    /// A URL that does not start with a literal `https://host` or `http://host`.
    BadUrl,
    /// A zero or out-of-range duration, rate, timeout or retry count.
    BadDuration,
    /// A trigger that is not one of the six events.
    UnknownTrigger,
    /// A custom field declared twice with different types, or a tag/secret declared twice.
    DuplicateDeclaration,
    /// A `??` fallback whose literal type does not match the path's type.
    BadFallback,
    /// A header name that is not an HTTP token.
    BadHeaderName,
    // --- warnings (W02xx)
    /// A merge tag may render empty where the request is sent.
    MayRenderEmpty,
    /// A rule that can never send anything.
    NeverSends,
    /// A branch whose condition can never be true.
    UnreachableBranch,
    /// A plain `http://` URL.
    InsecureUrl,
    /// A header literal that looks like a credential.
    CredentialInHeader,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: [Code; 25] = [
        Code::Syntax,
        Code::BadString,
        Code::BadMergeTag,
        Code::DuplicateClause,
        Code::TooDeep,
        Code::UnknownPath,
        Code::PathNotAvailable,
        Code::TypeMismatch,
        Code::ImpossibleLiteral,
        Code::UndeclaredSecret,
        Code::MisplacedSecret,
        Code::UndeclaredTag,
        Code::DuplicateRule,
        Code::BadBody,
        Code::BadUrl,
        Code::BadDuration,
        Code::UnknownTrigger,
        Code::DuplicateDeclaration,
        Code::BadFallback,
        Code::BadHeaderName,
        Code::MayRenderEmpty,
        Code::NeverSends,
        Code::UnreachableBranch,
        Code::InsecureUrl,
        Code::CredentialInHeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "E0001",
            Code::BadString => "E0002",
            Code::BadMergeTag => "E0003",
            Code::DuplicateClause => "E0004",
            Code::TooDeep => "E0005",
            Code::UnknownPath => "E0101",
            Code::PathNotAvailable => "E0102",
            Code::TypeMismatch => "E0103",
            Code::ImpossibleLiteral => "E0104",
            Code::UndeclaredSecret => "E0105",
            Code::MisplacedSecret => "E0106",
            Code::UndeclaredTag => "E0107",
            Code::DuplicateRule => "E0108",
            Code::BadBody => "E0109",
            Code::BadUrl => "E0110",
            Code::BadDuration => "E0111",
            Code::UnknownTrigger => "E0112",
            Code::DuplicateDeclaration => "E0113",
            Code::BadFallback => "E0114",
            Code::BadHeaderName => "E0115",
            Code::MayRenderEmpty => "W0201",
            Code::NeverSends => "W0202",
            Code::UnreachableBranch => "W0203",
            Code::InsecureUrl => "W0204",
            Code::CredentialInHeader => "W0205",
        }
    }

    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
}

/// A labelled span. The first label of a diagnostic is the primary one: its position is
/// the diagnostic's `line`/`column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: SourceId,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Primary label first.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic whose severity follows from its code.
    pub fn new(code: Code, message: impl Into<String>, file: SourceId, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            labels: vec![Label {
                file,
                span,
                message: String::new(),
            }],
            help: None,
        }
    }

    /// Sets the primary label's text.
    pub fn with_label_message(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(first) = self.labels.first_mut() {
            first.message = message.into();
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_label(
        mut self,
        file: SourceId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn primary(&self) -> Option<&Label> {
        self.labels.first()
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// "Did you mean" over a set of candidates: the closest by edit distance, if close enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + usize::from(word.len() > 6);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance over characters, counting a swap of two neighbours as one edit
/// (optimal string alignment), so `tehn` is one edit from `then`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["case.subject", "case.status", "contact.email"];
        assert_eq!(did_you_mean("case.subjet", names), Some("case.subject"));
        assert_eq!(did_you_mean("case.zzzzzzzzz", names), None);
        assert_eq!(did_you_mean("tehn", ["then", "else"]), Some("then"));
    }

    #[test]
    fn codes_have_their_severity() {
        assert_eq!(Code::MayRenderEmpty.severity(), Severity::Warning);
        assert_eq!(Code::UnknownPath.severity(), Severity::Error);
    }
}
