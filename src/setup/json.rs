//! Where the members of a JSON object are in its text, so a file can be
//! edited member by member and every other byte stays as it was (JSON has no
//! comments to mark a block with). Only called on text `serde_json` accepted.

use std::ops::Range;

/// One `"key": value` of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub key: String,
    /// The quoted key.
    pub key_span: Range<usize>,
    /// The value, from its first to past its last byte.
    pub value: Range<usize>,
}

/// An object: its braces and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    /// The `{`.
    pub open: usize,
    /// The `}`.
    pub close: usize,
    pub members: Vec<Member>,
}

impl Object {
    pub(crate) fn get(&self, key: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.key == key)
    }
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        self.ws();
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", b as char, self.at))
        }
    }

    /// Past a string starting at `self.at` (on its `"`).
    fn string(&mut self) -> Result<(), String> {
        self.at += 1;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'"' => return Ok(()),
                _ => {}
            }
        }
        Err("unterminated string".to_owned())
    }

    /// Past one value of any kind.
    fn value(&mut self) -> Result<Range<usize>, String> {
        self.ws();
        let start = self.at;
        match self.peek() {
            Some(b'"') => self.string()?,
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(b) = self.peek() {
                    match b {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Ok(start..self.at);
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
                return Err("unterminated object or array".to_owned());
            }
            Some(_) => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
            }
            None => return Err("a value is missing".to_owned()),
        }
        Ok(start..self.at)
    }
}

/// The object whose `{` is the first non-space byte at or after `at`.
pub(crate) fn object_at(text: &str, at: usize) -> Result<Object, String> {
    let mut s = Scanner { text, at };
    s.expect(b'{')?;
    let open = s.at - 1;
    let mut members = Vec::new();
    s.ws();
    if s.peek() == Some(b'}') {
        return Ok(Object {
            open,
            close: s.at,
            members,
        });
    }
    loop {
        s.ws();
        if s.peek() != Some(b'"') {
            return Err(format!("expected a key at byte {}", s.at));
        }
        let key_start = s.at;
        s.string()?;
        let key_span = key_start..s.at;
        let key: String =
            serde_json::from_str(&text[key_span.clone()]).map_err(|e| e.to_string())?;
        s.expect(b':')?;
        let value = s.value()?;
        members.push(Member {
            key,
            key_span,
            value,
        });
        s.ws();
        match s.peek() {
            Some(b',') => s.at += 1,
            Some(b'}') => {
                return Ok(Object {
                    open,
                    close: s.at,
                    members,
                });
            }
            _ => return Err(format!("expected `,` or `}}` at byte {}", s.at)),
        }
    }
}

/// The whitespace before `at` on its line, when only whitespace precedes it there.
pub(crate) fn indent_of(text: &str, at: usize) -> Option<&str> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..at];
    indent
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(indent)
}

/// The text with `member` of `object` removed, with the comma and line that
/// went with it, so that removing what [`insert_member`] added restores the
/// text byte for byte.
pub(crate) fn remove_member(text: &str, object: &Object, index: usize) -> String {
    let m = &object.members[index];
    let range = if object.members.len() == 1 {
        // The only member: the object becomes `{}`.
        object.open + 1..object.close
    } else if index + 1 == object.members.len() {
        // The last: from the end of the one before (its comma follows).
        object.members[index - 1].value.end..m.value.end
    } else {
        // Another: from its line (or key) to the next member's.
        let start = |span: &Range<usize>| {
            indent_of(text, span.start).map_or(span.start, |i| span.start - i.len())
        };
        start(&m.key_span)..start(&object.members[index + 1].key_span)
    };
    let mut out = text[..range.start].to_owned();
    out.push_str(&text[range.end..]);
    out
}

/// The text with `"key": value` (`value` already JSON) added as the last
/// member of `object`, on its own line: indented like the members before it,
/// or one `unit` deeper than `outer` in an empty object.
pub(crate) fn insert_member(
    text: &str,
    object: &Object,
    key: &str,
    value: &str,
    outer: &str,
    unit: &str,
) -> String {
    let key = serde_json::Value::String(key.to_owned()).to_string();
    match object.members.last() {
        Some(last) => {
            let indent = indent_of(text, last.key_span.start)
                .map_or_else(|| format!("{outer}{unit}"), str::to_owned);
            let mut out = text[..last.value.end].to_owned();
            out.push_str(&format!(",\n{indent}{key}: {value}"));
            out.push_str(&text[last.value.end..]);
            out
        }
        None => {
            let mut out = text[..=object.open].to_owned();
            out.push_str(&format!("\n{outer}{unit}{key}: {value}\n{outer}"));
            out.push_str(&text[object.close..]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_their_spans() {
        let text = "{\n\t\"a\": {\"x\": [1, \"}\"]},\n\t\"b\\\"c\": \"v\" , \"n\": null}";
        let o = object_at(text, 0).unwrap();
        let keys: Vec<&str> = o.members.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "b\"c", "n"]);
        assert_eq!(&text[o.members[0].value.clone()], "{\"x\": [1, \"}\"]}");
        assert_eq!(&text[o.members[1].value.clone()], "\"v\"");
        assert_eq!(&text[o.members[2].value.clone()], "null");
        assert_eq!(o.close, text.len() - 1);
        assert_eq!(indent_of(text, o.members[0].key_span.start), Some("\t"));
        assert!(object_at("[1]", 0).is_err());
    }

    #[test]
    fn an_inserted_member_is_removed_byte_for_byte() {
        for text in [
            "{}",
            "{\n}\n",
            "{\n\t\"auths\": {}\n}\n",
            "{\n  \"auths\": {},\n  \"credsStore\": \"desktop\"\n}",
            "{\"a\":1}",
        ] {
            let o = object_at(text, 0).unwrap();
            let added = insert_member(text, &o, "k", "\"v\"", "", "\t");
            let parsed: serde_json::Value = serde_json::from_str(&added).unwrap();
            assert_eq!(parsed["k"], "v", "{added}");
            let o2 = object_at(&added, 0).unwrap();
            let index = o2.members.iter().position(|m| m.key == "k").unwrap();
            let back = remove_member(&added, &o2, index);
            if o.members.is_empty() {
                assert_eq!(back, format!("{{}}{}", &text[o.close + 1..]), "{text:?}");
            } else {
                assert_eq!(back, text, "{added:?}");
            }
        }
    }

    #[test]
    fn a_member_in_the_middle_goes_with_its_line() {
        let text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}";
        let o = object_at(text, 0).unwrap();
        assert_eq!(remove_member(text, &o, 1), "{\n  \"a\": 1,\n  \"c\": 3\n}");
        assert_eq!(remove_member(text, &o, 0), "{\n  \"b\": 2,\n  \"c\": 3\n}");
        let one = "{\"a\": 1, \"b\": 2}";
        let o = object_at(one, 0).unwrap();
        assert_eq!(remove_member(one, &o, 0), "{\"b\": 2}");
    }
}
