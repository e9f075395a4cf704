//! Maven's `settings.xml`: checked for well-formedness with quick-xml (already
//! in the tree through plist), and edited as text so that every byte outside
//! awsproxy's `<!-- >>> awsproxy >>> -->` block stays as the user wrote it.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::Refusal;
use super::tools::{Context, Placement};

/// Where the interesting tags end, as byte offsets just past their `>`.
#[derive(Debug, Default)]
pub(super) struct Doc {
    /// `(start of the tag, end of the tag)` of `<settings>`.
    settings: Option<(usize, usize)>,
    mirrors: Option<(usize, usize)>,
    /// `<mirrors/>`: nowhere to put a child without rewriting the tag.
    empty_mirrors: bool,
    mirror_of: Vec<String>,
}

/// Parses `text` (empty is fine: no file yet) and checks it is well formed.
pub(super) fn check(text: &str) -> Result<Doc, String> {
    let mut reader = Reader::from_str(text);
    let mut doc = Doc::default();
    let mut path: Vec<String> = Vec::new();
    let mut roots = 0;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} (at byte {})", reader.error_position()))?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Start(tag) => {
                let local = tag.local_name();
                let name: String = AsRef::<str>::as_ref(&local).to_owned();
                if path.is_empty() {
                    roots += 1;
                }
                match (path.len(), name.as_str()) {
                    (0, "settings") => doc.settings = Some((before, after)),
                    (1, "mirrors") if doc.mirrors.is_none() => doc.mirrors = Some((before, after)),
                    (3, "mirrorOf") if path[1] == "mirrors" => doc.mirror_of.push(String::new()),
                    _ => {}
                }
                path.push(name);
            }
            Event::Empty(tag) => {
                if path.is_empty() {
                    roots += 1;
                }
                let local = tag.local_name();
                if path.len() == 1 && AsRef::<str>::as_ref(&local) == "mirrors" {
                    doc.empty_mirrors = true;
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if path.last().is_some_and(|n| n == "mirrorOf") => {
                if let Some(last) = doc.mirror_of.last_mut() {
                    last.push_str(&t[..]);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(format!("<{}> is never closed", path.join("><")));
    }
    if roots > 1 {
        return Err("it has more than one root element".to_owned());
    }
    if roots == 1 && doc.settings.is_none() {
        return Err("its root element is not <settings>".to_owned());
    }
    Ok(doc)
}

fn unparseable(why: String) -> Refusal {
    Refusal::new(
        format!("~/.m2/settings.xml does not parse as XML: {why}"),
        "fix the file (or move it aside), then run the command again; awsproxy edits only files it can read",
    )
}

/// A mirror of one named repository beats a `*` mirror, wherever it is.
pub(super) fn check_overrides(outside: &str) -> Result<(), Refusal> {
    let doc = check(outside).map_err(unparseable)?;
    if let Some(of) = doc.mirror_of.iter().find(|of| !of.contains('*')) {
        return Err(Refusal::new(
            format!(
                "settings.xml has a mirror of `{}`, which would win over awsproxy's mirror of `*`",
                of.trim()
            ),
            "remove that <mirror> (awsproxy's mirror serves every repository), then run the command again",
        ));
    }
    Ok(())
}

/// The start of the line after the tag ending at `end`, if only spaces follow it.
fn after_line(text: &str, end: usize, tag: &str) -> Result<usize, Refusal> {
    let rest = &text[end..];
    let nl = rest.find('\n').unwrap_or(rest.len());
    if rest[..nl].trim().is_empty() && nl < rest.len() {
        Ok(end + nl + 1)
    } else {
        Err(Refusal::new(
            format!("settings.xml has more on the line of its {tag} tag"),
            format!("put {tag} on a line of its own, then run the command again"),
        ))
    }
}

fn indent_of(text: &str, start: usize) -> String {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..start];
    let lead: String = lead.chars().take_while(|c| c.is_whitespace()).collect();
    format!("{lead}  ")
}

pub(super) fn placement(outside: &str) -> Result<Placement, Refusal> {
    let doc = check(outside).map_err(unparseable)?;
    if doc.empty_mirrors {
        return Err(Refusal::new(
            "settings.xml has an empty `<mirrors/>` element",
            "replace it with `<mirrors>` and `</mirrors>` on lines of their own, then run the command again",
        ));
    }
    if let Some((start, end)) = doc.mirrors {
        return Ok(Placement {
            offset: after_line(outside, end, "<mirrors>")?,
            indent: indent_of(outside, start),
            context: Context::InMirrors,
        });
    }
    if let Some((start, end)) = doc.settings {
        return Ok(Placement {
            offset: after_line(outside, end, "<settings>")?,
            indent: indent_of(outside, start),
            context: Context::InSettings,
        });
    }
    if outside.trim().is_empty() {
        return Ok(Placement {
            offset: outside.len(),
            indent: String::new(),
            context: Context::TopLevel,
        });
    }
    Err(unparseable("it has no <settings> element".to_owned()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn indented(text: &str, indent: &str) -> String {
    text.lines().map(|l| format!("{indent}{l}\n")).collect()
}

pub(super) fn body(mount: &str, url: &str, place: &Placement) -> String {
    let mirror = format!(
        "<mirror>\n  <id>awsproxy-{}</id>\n  <mirrorOf>*</mirrorOf>\n  <url>{}</url>\n</mirror>\n",
        escape(mount),
        escape(url)
    );
    match place.context {
        Context::InMirrors => indented(&mirror, &place.indent),
        Context::InSettings => indented(
            &format!("<mirrors>\n{}</mirrors>\n", indented(&mirror, "  ")),
            &place.indent,
        ),
        Context::TopLevel | Context::InPipGlobal => format!(
            "<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\"\n    \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n    \
             xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd\">\n  \
             <mirrors>\n{}  </mirrors>\n</settings>\n",
            indented(&mirror, "    ")
        ),
    }
}
