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

/// When two package names are the same name, per format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NameRule {
    /// PyPI: case-insensitive, runs of `-`, `_` and `.` alike ([`normalize`]).
    #[default]
    Pep503,
    /// Cargo (as crates.io): case-insensitive, `-` and `_` alike.
    Crate,
    /// npm: case-insensitive only (`a.b`, `a-b` and `a_b` are three packages).
    Exact,
}

impl NameRule {
    fn normalize(self, name: &str) -> String {
        match self {
            Self::Pep503 => normalize(name),
            Self::Crate => name.to_ascii_lowercase().replace('_', "-"),
            Self::Exact => name.to_ascii_lowercase(),
        }
    }

    /// Whether `name` matches `pattern` (`*` matches any run), both normalised.
    pub fn matches(self, pattern: &str, name: &str) -> bool {
        let pattern = pattern
            .split('*')
            .map(|p| self.normalize(p))
            .collect::<Vec<_>>()
            .join("*");
        glob(pattern.as_bytes(), self.normalize(name).as_bytes())
    }
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// The fallback policy of one mount (of any format: `names` says how its
/// names compare).
#[derive(Debug, Clone, Default)]
pub struct FallbackPolicy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub names: NameRule,
}

impl FallbackPolicy {
    /// Whether `name` may be served from the public index.
    pub fn permits(&self, name: &str) -> bool {
        let matches = |p: &String| self.names.matches(p, name);
        if self.deny.iter().any(matches) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(matches)
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
            names: NameRule::Pep503,
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
            names: NameRule::Pep503,
        };
        assert!(open.permits("numpy"));
        assert!(!open.permits("Corp.Secret"));
    }

    #[test]
    fn each_format_compares_names_its_own_way() {
        let npm = FallbackPolicy {
            allow: vec!["lodash.merge".into(), "@types/*".into()],
            deny: vec!["@corp/*".into()],
            names: NameRule::Exact,
        };
        assert!(npm.permits("lodash.merge") && npm.permits("@types/node"));
        assert!(
            !npm.permits("lodash-merge") && !npm.permits("lodash_merge"),
            "another npm package, not on the list"
        );
        assert!(!npm.permits("@corp/secret") && !npm.permits("@CORP/secret"));
        let cargo = FallbackPolicy {
            allow: vec![],
            deny: vec!["corp-*".into()],
            names: NameRule::Crate,
        };
        assert!(!cargo.permits("corp_utils"), "crates.io treats _ as -");
        assert!(!cargo.permits("Corp-Utils"));
        assert!(cargo.permits("serde"));
    }
}
