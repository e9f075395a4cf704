//! Package names: PEP 503 normalisation and the fallback allow/deny policy that
//! protects against dependency confusion.
//!
//! With `fallback = "missing"`, a name the private repository does not have may
//! be served from the public index only if it matches `fallback_allow` (when that
//! list is set) and matches no `fallback_deny` pattern. Patterns are normalised
//! names with `*` wildcards, e.g. `corp-*`.

/// PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Whether `name` matches a pattern with `*` wildcards (both normalised first).
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern = normalize_pattern(pattern);
    let name = normalize(name);
    glob(pattern.as_bytes(), name.as_bytes())
}

fn normalize_pattern(pattern: &str) -> String {
    pattern
        .split('*')
        .map(normalize)
        .collect::<Vec<_>>()
        .join("*")
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// The fallback policy of one mount.
#[derive(Debug, Clone, Default)]
pub struct FallbackPolicy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl FallbackPolicy {
    /// Whether `name` may be served from the public index.
    pub fn permits(&self, name: &str) -> bool {
        if self.deny.iter().any(|p| matches(p, name)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|p| matches(p, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_pep_503() {
        assert_eq!(normalize("Friendly-Bard"), "friendly-bard");
        assert_eq!(normalize("FRIENDLY__bard"), "friendly-bard");
        assert_eq!(normalize("friendly.-_bard"), "friendly-bard");
        assert_eq!(normalize("zope.interface"), "zope-interface");
    }

    #[test]
    fn deny_beats_allow_and_patterns_normalise() {
        let policy = FallbackPolicy {
            allow: vec!["requests".into(), "py*".into()],
            deny: vec!["corp-*".into(), "pytest_corp*".into()],
        };
        assert!(policy.permits("Requests"));
        assert!(policy.permits("pyyaml"));
        assert!(
            !policy.permits("corp_utils"),
            "internal names never come from the public index"
        );
        assert!(!policy.permits("pytest-corp-plugin"));
        assert!(!policy.permits("numpy"), "not on the allow list");
        let open = FallbackPolicy {
            allow: vec![],
            deny: vec!["corp-*".into()],
        };
        assert!(open.permits("numpy"));
        assert!(!open.permits("Corp.Secret"));
    }
}
