//! Typed secrets. Tokens, keys and passwords live in [`Secret`], whose `Debug` and
//! `Display` never show the value, so a stray `{:?}` in a log line or an error
//! message cannot leak one. Read the value with [`Secret::expose`], only where it
//! is put on the wire or into a file.
//!
//! URLs can carry secrets too (`http://user:password@proxy:8080`): everything
//! that shows one to a person (doctor findings, configuration errors, connect
//! errors) passes it through [`redact_url`] or [`redact_urls_in`].

use std::borrow::Cow;
use std::fmt;

/// What replaces a URL's userinfo.
const REDACTED_USERINFO: &str = "***";

/// A string that must never be printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Every call site is a place where a secret leaves the process.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// `url` with its userinfo (`user:password@`) replaced by `***@`. A value
/// without a scheme (`user:pass@proxy:3128`, as curl accepts in `HTTPS_PROXY`)
/// is treated as starting with its authority.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    redact_authority_at(url, start)
}

/// `text` with the userinfo of every `scheme://user@host` in it redacted.
pub fn redact_urls_in(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    let mut from = 0;
    while let Some(found) = out[from..].find("://") {
        let start = from + found + 3;
        if let Cow::Owned(redacted) = redact_authority_at(&out, start) {
            out = Cow::Owned(redacted);
        }
        from = start;
    }
    out
}

/// Redacts the userinfo of the authority that starts at byte `start`.
fn redact_authority_at(text: &str, start: usize) -> Cow<'_, str> {
    let rest = &text[start..];
    let end = rest
        .find(|c: char| {
            matches!(
                c,
                '/' | '?' | '#' | '`' | '"' | '\'' | '<' | '>' | ')' | ','
            ) || c.is_whitespace()
        })
        .unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}{REDACTED_USERINFO}{}",
            &text[..start],
            &text[start + at..]
        )),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_redacted_in_urls_and_in_text() {
        assert_eq!(
            redact_url("http://alice:s3cret@proxy.corp:8080/x?y"),
            "http://***@proxy.corp:8080/x?y"
        );
        assert_eq!(redact_url("alice:s3cret@proxy:3128"), "***@proxy:3128");
        assert_eq!(redact_url("http://proxy:3128"), "http://proxy:3128");
        // An '@' in the path is not userinfo.
        assert_eq!(redact_url("http://h/a@b"), "http://h/a@b");
        assert_eq!(
            redact_urls_in("`http://a:p@one:1` then https://b:q%40x@two/ and http://three/"),
            "`http://***@one:1` then https://***@two/ and http://three/"
        );
        assert!(matches!(redact_urls_in("no urls here"), Cow::Borrowed(_)));
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
