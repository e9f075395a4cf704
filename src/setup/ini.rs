//! Just enough of an ini reader for `pip.conf` and `.npmrc`: section headers and
//! `key = value` lines with their byte offsets, and the lines Python's
//! `configparser` (what pip uses) would refuse.

/// One line that means something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry<'a> {
    Section {
        name: &'a str,
        at: usize,
    },
    Key {
        section: Option<&'a str>,
        key: &'a str,
        value: &'a str,
    },
}

/// The entries of `text`. With `strict` (configparser), a key before any
/// section, a line that is neither, or a repeated section is an error (with its
/// line number); without it (npm's `ini`), a bare word is a key.
pub(crate) fn parse(text: &str, strict: bool) -> Result<Vec<Entry<'_>>, String> {
    let mut out = Vec::new();
    let mut section: Option<&str> = None;
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        // configparser: an indented line continues the previous value.
        if strict
            && line.starts_with([' ', '\t'])
            && out.last().is_some_and(|e| matches!(e, Entry::Key { .. }))
        {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            if strict
                && out
                    .iter()
                    .any(|e| matches!(e, Entry::Section { name: s, .. } if *s == name))
            {
                return Err(format!("line {}: section [{name}] appears twice", n + 1));
            }
            section = Some(name);
            out.push(Entry::Section { name, at });
            continue;
        }
        let (key, value) = match trimmed.find(['=', ':'].as_slice()) {
            Some(i) if strict || trimmed.as_bytes()[i] == b'=' => {
                (trimmed[..i].trim(), trimmed[i + 1..].trim())
            }
            _ if !strict => (trimmed, "true"),
            _ => return Err(format!("line {}: `{trimmed}` is not `key = value`", n + 1)),
        };
        if key.is_empty() {
            return Err(format!("line {}: a value without a key", n + 1));
        }
        if strict && section.is_none() {
            return Err(format!("line {}: `{key}` is outside any [section]", n + 1));
        }
        out.push(Entry::Key {
            section,
            key,
            value,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_keys_and_continuations() {
        let text = "# c\n[global]\nindex-url = a\n  b\ntimeout: 5\n[install]\n";
        let entries = parse(text, true).unwrap();
        assert_eq!(
            entries,
            [
                Entry::Section {
                    name: "global",
                    at: 4
                },
                Entry::Key {
                    section: Some("global"),
                    key: "index-url",
                    value: "a"
                },
                Entry::Key {
                    section: Some("global"),
                    key: "timeout",
                    value: "5"
                },
                Entry::Section {
                    name: "install",
                    at: 42
                },
            ]
        );
    }

    #[test]
    fn configparser_refusals() {
        assert!(parse("key = 1\n", true).unwrap_err().contains("line 1"));
        assert!(
            parse("[global]\njunk\n", true)
                .unwrap_err()
                .contains("line 2")
        );
        assert!(parse("[a]\n[a]\n", true).unwrap_err().contains("twice"));
        // npm's ini takes a bare word as `true`.
        assert_eq!(
            parse("save-exact\n", false).unwrap(),
            [Entry::Key {
                section: None,
                key: "save-exact",
                value: "true"
            }]
        );
    }
}
