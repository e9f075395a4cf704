//! [`ConfigError`]: what is wrong, where (file:line:column and the key path), and a hint.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use super::ConfigSource;
use super::validate::Invalid;
use crate::secret::redact_urls_in;

/// An invalid configuration. Displays as `FILE:LINE:COL: KEY: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    /// 1-based; 0 when the position is unknown (e.g. the file is unreadable).
    pub line: usize,
    pub column: usize,
    /// Dotted key path such as `creds.client[0].token`; empty for syntax errors.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

const REFERENCE_HINT: &str = "see the configuration reference in the README, or `awsproxy config default` for an annotated example";

impl ConfigError {
    pub(super) fn unreadable(path: &Path, err: &std::io::Error) -> Self {
        let hint = if err.kind() == std::io::ErrorKind::NotFound {
            "create it (`awsproxy config default > FILE` writes a starting point), or drop --config / AWSPROXY_CONFIG to use the built-in defaults"
        } else {
            "check the file's permissions"
        };
        Self {
            source: path.display().to_string(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the configuration file: {err}"),
            hint: Some(hint.to_owned()),
        }
    }

    pub(super) fn from_toml(
        source: &ConfigSource,
        text: &str,
        key: &str,
        err: &toml::de::Error,
    ) -> Self {
        let message = err.message().trim().to_owned();
        let (line, column) = err.span().map_or((0, 0), |span| line_col(text, span.start));
        let mut key = key.trim_matches('?').trim_matches('.').to_owned();
        let mut hint = None;
        if let Some((unknown, expected)) = parse_unknown_field(&message) {
            // serde_path_to_error usually ends the path with the unknown key; make sure it does.
            if key.is_empty() {
                key.clone_from(&unknown);
            } else if !key.ends_with(&format!(".{unknown}")) && key != unknown {
                key = format!("{key}.{unknown}");
            }
            hint = Some(match closest(&unknown, &expected) {
                Some(best) => format!(
                    "did you mean `{best}`? Valid keys here: {}",
                    expected.join(", ")
                ),
                None if expected.is_empty() => REFERENCE_HINT.to_owned(),
                None => format!("valid keys here: {}", expected.join(", ")),
            });
        } else if message.starts_with("unknown variant") {
            hint = Some("use one of the values listed above".to_owned());
        } else if message.starts_with("invalid type") {
            hint = Some("check the value's type: strings need quotes, lists need [..], sections need [..] headers".to_owned());
        } else if message.starts_with("missing field") {
            hint = Some(REFERENCE_HINT.to_owned());
        }
        Self {
            source: source.to_string(),
            line,
            column,
            key,
            message: redact_urls_in(&message).into_owned(),
            hint: hint.or_else(|| Some(REFERENCE_HINT.to_owned())),
        }
    }

    pub(super) fn from_validation(source: &ConfigSource, text: &str, invalid: Invalid) -> Self {
        let (line, column) =
            locate(text, &invalid.path).map_or((0, 0), |span| line_col(text, span.start));
        Self {
            source: source.to_string(),
            line,
            column,
            key: render_path(&invalid.path),
            // Values are quoted in messages; a URL's userinfo is a password.
            message: redact_urls_in(&invalid.message).into_owned(),
            hint: invalid.hint.map(|h| redact_urls_in(&h).into_owned()),
        }
    }
}

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub(super) fn render_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The span of the deepest part of `path` that exists in the document: the key
/// itself when present, else the table that should hold it.
fn locate(text: &str, path: &[Seg]) -> Option<Range<usize>> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut best = None;
    let mut current = toml::de::DeValue::Table(root.into_inner());
    for seg in path {
        let next = match (seg, &current) {
            (Seg::Key(k), toml::de::DeValue::Table(t)) => t
                .iter()
                .find(|(key, _)| key.get_ref() == k)
                .map(|(key, value)| {
                    best = Some(key.span());
                    value.clone()
                }),
            (Seg::Index(i), toml::de::DeValue::Array(a)) => a.get(*i).map(|value| {
                best = Some(value.span());
                value.clone()
            }),
            _ => None,
        };
        match next {
            Some(value) => current = value.into_inner(),
            None => break,
        }
    }
    best
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" into its parts.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    let unknown = rest[..end].to_owned();
    let expected = rest[end + 1..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((unknown, expected))
}

fn closest(word: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("a = 1\nbb = 2\n", 6), (2, 1));
        assert_eq!(line_col("a = 1\nbb = 2\n", 11), (2, 6));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn unknown_field_messages_are_split() {
        let (u, e) =
            parse_unknown_field("unknown field `lisen`, expected one of `listen`, `client`")
                .unwrap();
        assert_eq!(u, "lisen");
        assert_eq!(e, vec!["listen", "client"]);
        assert_eq!(closest("lisen", &e).as_deref(), Some("listen"));
        assert_eq!(closest("zzz", &e), None);
    }
}
