//! npm package names: `name` or `@scope/name`, the scoped form also spelled
//! `@scope%2fname` (any case of `%2F`) as npm clients send it. Everything is
//! normalised to `@scope/name`; anything that could leave the package's path
//! (`..`, other slashes, encoded characters) is refused.

/// A valid package name, `name` or `@scope/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageName(String);

/// npm's limit on a whole name.
const MAX_LEN: usize = 214;

impl PackageName {
    /// Parses a name as it appears in a request path (already percent-decoded
    /// or not: `%2f` / `%2F` between scope and name is the one escape taken).
    pub fn parse(raw: &str) -> Option<Self> {
        let (scope, name) = match raw.strip_prefix('@') {
            Some(scoped) => {
                let lower = scoped.to_ascii_lowercase();
                let (scope, name) = if let Some(i) = lower.find("%2f") {
                    (&scoped[..i], &scoped[i + 3..])
                } else {
                    scoped.split_once('/')?
                };
                (Some(scope), name)
            }
            None => (None, raw),
        };
        if !scope.is_none_or(part_ok) || !part_ok(name) {
            return None;
        }
        let full = match scope {
            Some(s) => format!("@{s}/{name}"),
            None => name.to_owned(),
        };
        (full.len() <= MAX_LEN).then_some(Self(full))
    }

    /// The form a registry path takes: `name` or `@scope%2fname`.
    pub fn registry_path(&self) -> String {
        self.0.replacen('/', "%2f", 1)
    }
}

impl std::fmt::Display for PackageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One part (scope or name): URL-safe characters only, not starting with `.`
/// or `_` (which also rules out `.` and `..`). Upper case is accepted: old
/// packages have it.
fn part_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.starts_with('_')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_spellings_normalise_to_one_form() {
        for raw in ["@s/p", "@s%2fp", "@s%2Fp"] {
            let n = PackageName::parse(raw).unwrap();
            assert_eq!(n.to_string(), "@s/p", "{raw}");
            assert_eq!(n.registry_path(), "@s%2fp");
        }
        let n = PackageName::parse("left-pad").unwrap();
        assert_eq!(n.to_string(), "left-pad");
        assert_eq!(n.registry_path(), "left-pad");
        assert!(PackageName::parse("JSONStream").is_some());
        assert!(PackageName::parse("lodash.get").is_some());
    }

    #[test]
    fn anything_that_leaves_the_package_is_refused() {
        for bad in [
            "",
            "..",
            ".",
            "../x",
            "a/b",
            "@s/p/q",
            "@s/..",
            "@../p",
            "@s%2f..",
            "@s%2fp%2fq",
            "@s",
            "@/p",
            "@s/",
            "a%2fb",
            "%2e%2e",
            "_private",
            ".hidden",
            "a b",
            "a\\b",
            "a?b",
            "a#b",
        ] {
            assert_eq!(PackageName::parse(bad), None, "{bad}");
        }
        assert!(PackageName::parse(&"a".repeat(215)).is_none());
    }
}
