//! The marked block `awsproxy setup` owns inside someone else's file: find it,
//! insert it, replace its body, remove it. Bytes outside the block are never
//! changed, so inserting and then removing gives the original file back.
//!
//! The begin line may carry flags that undo needs to restore the file exactly:
//! `[created]` (the file did not exist, so an otherwise empty file is deleted)
//! and `[newline]` (the file did not end with a newline, so one was added in
//! front of the block and goes again with it).

/// The comment syntax of a file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comment {
    /// `# ...` (ini, TOML, `.npmrc`).
    Hash,
    /// `<!-- ... -->` (XML).
    Xml,
    /// `// ...` (Groovy).
    Slash,
}

const BEGIN: &str = ">>> awsproxy >>>";
const END: &str = "<<< awsproxy <<<";
const CREATED: &str = "[created]";
const NEWLINE: &str = "[newline]";

impl Comment {
    fn line(self, text: &str) -> String {
        match self {
            Comment::Hash => format!("# {text}"),
            Comment::Xml => format!("<!-- {text} -->"),
            Comment::Slash => format!("// {text}"),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Comment::Hash => "# ",
            Comment::Xml => "<!-- ",
            Comment::Slash => "// ",
        }
    }
}

/// A block found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found<'a> {
    /// Byte offset of the begin line's first byte (its indentation included).
    pub start: usize,
    /// Byte offset just past the end line (and its newline, when it has one).
    pub end: usize,
    /// The lines between the markers.
    pub body: &'a str,
    /// The indentation of the begin line.
    pub indent: &'a str,
    pub created: bool,
    pub newline: bool,
}

/// Lines with their byte offsets; each line includes its `\n`.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let at = offset;
        offset += line.len();
        (at, line)
    })
}

fn is_marker(line: &str, comment: Comment, marker: &str) -> bool {
    line.trim_start()
        .strip_prefix(comment.prefix())
        .is_some_and(|rest| rest.starts_with(marker))
}

/// The block in `text`, if any. Two blocks, or a begin line without an end
/// line, is an error: the file was edited by hand and needs a look.
pub(crate) fn find(text: &str, comment: Comment) -> Result<Option<Found<'_>>, String> {
    let mut found: Option<Found<'_>> = None;
    let mut open: Option<(usize, usize, &str)> = None;
    for (at, line) in lines(text) {
        if is_marker(line, comment, BEGIN) {
            if open.is_some() || found.is_some() {
                return Err("it has more than one awsproxy block".to_owned());
            }
            let indent = &line[..line.len() - line.trim_start().len()];
            open = Some((at, at + line.len(), indent));
        } else if is_marker(line, comment, END) {
            let Some((start, body_start, indent)) = open.take() else {
                return Err("it has an awsproxy end marker without a begin marker".to_owned());
            };
            let begin_line = &text[start..body_start];
            found = Some(Found {
                start,
                end: at + line.len(),
                body: &text[body_start..at],
                indent,
                created: begin_line.contains(CREATED),
                newline: begin_line.contains(NEWLINE),
            });
        }
    }
    if open.is_some() {
        return Err("it has an awsproxy begin marker without an end marker".to_owned());
    }
    Ok(found)
}

fn begin_line(comment: Comment, indent: &str, created: bool, newline: bool) -> String {
    let mut text = BEGIN.to_owned();
    if created {
        text.push(' ');
        text.push_str(CREATED);
    }
    if newline {
        text.push(' ');
        text.push_str(NEWLINE);
    }
    format!("{indent}{}\n", comment.line(&text))
}

fn end_line(comment: Comment, indent: &str) -> String {
    format!("{indent}{}\n", comment.line(END))
}

/// `text` with a new block holding `body` (whole lines) at byte `offset`, which
/// must be the start of a line or the end of the text. `created` marks a file
/// that did not exist before.
pub(crate) fn insert(
    text: &str,
    offset: usize,
    body: &str,
    comment: Comment,
    indent: &str,
    created: bool,
) -> String {
    let newline = offset == text.len() && !text.is_empty() && !text.ends_with('\n');
    let mut out = String::with_capacity(text.len() + body.len() + 80);
    out.push_str(&text[..offset]);
    if newline {
        out.push('\n');
    }
    out.push_str(&begin_line(comment, indent, created, newline));
    out.push_str(body);
    out.push_str(&end_line(comment, indent));
    out.push_str(&text[offset..]);
    out
}

/// `text` with the found block's body replaced; markers and flags stay.
pub(crate) fn replace(text: &str, found: &Found<'_>, body: &str) -> String {
    let body_start = found.start + text[found.start..].find('\n').map_or(0, |i| i + 1);
    let body_end = body_start + found.body.len();
    format!("{}{body}{}", &text[..body_start], &text[body_end..])
}

/// `text` without the block, byte for byte as it was before [`insert`].
pub(crate) fn remove(text: &str, found: &Found<'_>) -> String {
    let mut start = found.start;
    if found.newline && found.end == text.len() && text[..start].ends_with('\n') {
        start -= 1;
    }
    format!("{}{}", &text[..start], &text[found.end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_then_remove_gives_the_original_back() {
        for original in [
            "",
            "a = 1\n",
            "a = 1",
            "  # comment\n\n[x]\n  b=2  \n",
            "no newline at end",
        ] {
            for offset in [0, original.len()] {
                let with = insert(original, offset, "k = v\n", Comment::Hash, "", false);
                let found = find(&with, Comment::Hash).unwrap().unwrap();
                assert_eq!(found.body, "k = v\n");
                assert_eq!(remove(&with, &found), original, "offset {offset}");
            }
        }
    }

    #[test]
    fn appending_to_a_file_without_final_newline_marks_the_block() {
        let with = insert("a = 1", 5, "k\n", Comment::Hash, "", false);
        assert_eq!(
            with,
            "a = 1\n# >>> awsproxy >>> [newline]\nk\n# <<< awsproxy <<<\n"
        );
        let found = find(&with, Comment::Hash).unwrap().unwrap();
        assert!(found.newline && !found.created);
    }

    #[test]
    fn xml_blocks_keep_their_indentation() {
        let text = "<a>\n</a>\n";
        let with = insert(text, 4, "    <b/>\n", Comment::Xml, "    ", true);
        assert_eq!(
            with,
            "<a>\n    <!-- >>> awsproxy >>> [created] -->\n    <b/>\n    <!-- <<< awsproxy <<< -->\n</a>\n"
        );
        let found = find(&with, Comment::Xml).unwrap().unwrap();
        assert!(found.created);
        assert_eq!(found.indent, "    ");
        assert_eq!(remove(&with, &found), text);
    }

    #[test]
    fn replace_changes_only_the_body() {
        let with = insert("x\n", 2, "old\n", Comment::Hash, "", false);
        let found = find(&with, Comment::Hash).unwrap().unwrap();
        let new = replace(&with, &found, "new\n");
        assert_eq!(new, "x\n# >>> awsproxy >>>\nnew\n# <<< awsproxy <<<\n");
    }

    #[test]
    fn broken_markers_are_errors() {
        assert!(find("# >>> awsproxy >>>\nx\n", Comment::Hash).is_err());
        assert!(find("# <<< awsproxy <<<\n", Comment::Hash).is_err());
        let two =
            "# >>> awsproxy >>>\n# <<< awsproxy <<<\n# >>> awsproxy >>>\n# <<< awsproxy <<<\n";
        assert!(find(two, Comment::Hash).is_err());
        assert_eq!(find("plain\n", Comment::Hash).unwrap(), None);
    }
}
