//! Secrets: loaded from `--secrets FILE` or `RULEC_SECRET_<NAME>`, redacted as `***`.
//!
//! The file holds `NAME=value` lines (`#` comments, blank lines ignored) and wins over
//! the environment. Every secret the rules reference must be present before anything
//! is produced.

use std::collections::BTreeMap;
use std::path::Path;

/// The prefix of the environment variables secrets are read from.
pub const ENV_PREFIX: &str = "RULEC_SECRET_";

/// Secret values by name. `Debug` shows names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: BTreeMap<String, String>,
    /// Values longest first, for redaction.
    redact_order: Vec<String>,
}

/// Why secrets could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsError {
    /// A secret the rules reference is in neither the file nor the environment.
    Missing { name: String },
    /// The secrets file cannot be read.
    Read { path: String, error: String },
    /// A line of the secrets file is not `NAME=value`.
    Syntax { path: String, line: usize },
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("names", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for SecretsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretsError::Missing { name } => write!(
                f,
                "secret `{name}` is not set (set `{ENV_PREFIX}{name}` or add `{name}=...` to the --secrets file)"
            ),
            SecretsError::Read { path, error } => {
                write!(f, "cannot read secrets file `{path}`: {error}")
            }
            SecretsError::Syntax { path, line } => {
                write!(f, "{path}:{line}: expected `NAME=value`")
            }
        }
    }
}

impl std::error::Error for SecretsError {}

impl Secrets {
    /// Loads the file (if any) and the `RULEC_SECRET_*` variables of the required names;
    /// fails naming the first required secret that is absent or empty.
    pub fn load(file: Option<&Path>, required: &[String]) -> Result<Secrets, SecretsError> {
        let values = collect(file, required)?;
        for name in required {
            if values.get(name).is_none_or(|v| v.is_empty()) {
                return Err(SecretsError::Missing { name: name.clone() });
            }
        }
        Ok(Secrets::from_map(values))
    }

    /// Secrets given directly (tests, benchmarks).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Secrets {
        Secrets::from_map(
            pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }

    fn from_map(values: BTreeMap<String, String>) -> Secrets {
        let mut redact_order: Vec<String> =
            values.values().filter(|v| !v.is_empty()).cloned().collect();
        redact_order.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        redact_order.dedup();
        Secrets {
            values,
            redact_order,
        }
    }

    /// A secret's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// `text` with every secret value replaced by `***` (longest values first, so a
    /// secret that contains another is hidden whole).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.redact_order {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), "***");
            }
        }
        out
    }
}

/// The environment's values of `names`, then the file's lines over them.
fn collect(
    file: Option<&Path>,
    names: &[String],
) -> Result<BTreeMap<String, String>, SecretsError> {
    let mut values = BTreeMap::new();
    for name in names {
        if let Ok(value) = std::env::var(format!("{ENV_PREFIX}{name}")) {
            values.insert(name.clone(), value);
        }
    }
    if let Some(path) = file {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SecretsError::Read {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        for (name, value) in parse_file(&text, &shown)? {
            values.insert(name, value);
        }
    }
    Ok(values)
}

fn parse_file(text: &str, path: &str) -> Result<Vec<(String, String)>, SecretsError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            return Err(SecretsError::Syntax {
                path: path.to_string(),
                line: i + 1,
            });
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(SecretsError::Syntax {
                path: path.to_string(),
                line: i + 1,
            });
        }
        out.push((name.to_string(), value.trim().to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_not_values() {
        let s = Secrets::from_pairs([("TOKEN", "abc123-secret")]);
        let shown = format!("{s:?}");
        assert!(shown.contains("TOKEN"), "{shown}");
        assert!(!shown.contains("abc123"), "{shown}");
    }

    #[test]
    fn file_lines_comments_and_redaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.env");
        std::fs::write(&path, "# tokens\nTOKEN=abc123\n\nKEY = whsec_xyz\n").unwrap();
        let s = Secrets::load(Some(&path), &["TOKEN".into(), "KEY".into()]).unwrap();
        assert_eq!(s.get("TOKEN"), Some("abc123"));
        assert_eq!(s.get("KEY"), Some("whsec_xyz"));
        assert_eq!(s.redact("Bearer abc123 / whsec_xyz"), "Bearer *** / ***");
    }

    #[test]
    fn a_missing_secret_is_named() {
        let err = Secrets::load(None, &["RULEC_TEST_NEVER_SET_4242".into()]).unwrap_err();
        assert_eq!(
            err,
            SecretsError::Missing {
                name: "RULEC_TEST_NEVER_SET_4242".into()
            }
        );
        assert!(err.to_string().contains("`RULEC_TEST_NEVER_SET_4242`"));
    }

    #[test]
    fn a_line_without_equals_is_refused_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "A=1\noops\n").unwrap();
        let err = Secrets::load(Some(&path), &[]).unwrap_err();
        assert!(matches!(err, SecretsError::Syntax { line: 2, .. }));
    }

    #[test]
    fn longer_secrets_are_redacted_whole() {
        let s = Secrets::from_pairs([("A", "abc"), ("B", "abcdef")]);
        assert_eq!(s.redact("x abcdef y abc"), "x *** y ***");
    }
}
