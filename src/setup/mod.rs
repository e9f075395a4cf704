//! `awsproxy setup`: what to write into each tool's own config file so that it
//! uses a repository mount, as pure functions of the file's current text. The
//! command (`commands::setup`) reads and writes the files; everything here is
//! text in, text out, and unit-tested.
//!
//! | tool   | file (user level)                   | `--project`            | block syntax |
//! |--------|-------------------------------------|------------------------|--------------|
//! | pip    | `$XDG_CONFIG_HOME/pip/pip.conf`     | —                      | `#`          |
//! | uv     | `$XDG_CONFIG_HOME/uv/uv.toml`       | `DIR/uv.toml`          | `#`          |
//! | poetry | — (sources live in the project)     | `DIR/pyproject.toml`   | `#`          |
//! | npm    | `~/.npmrc`                          | `DIR/.npmrc`           | `#`          |
//! | cargo  | `$CARGO_HOME/config.toml`           | `DIR/.cargo/config.toml` | `#`        |
//! | maven  | `~/.m2/settings.xml`                | —                      | `<!-- -->`   |
//! | gradle | `~/.gradle/init.d/awsproxy.gradle`  | —                      | the whole file |
//! | docker | `$DOCKER_CONFIG/config.json` (`~/.docker/config.json`) | — | JSON members, recorded ([`docker`]) |

pub(crate) mod block;
pub(crate) mod diff;
pub(crate) mod docker;
mod ini;
mod json;
mod maven;
pub(crate) mod target;
mod tools;

use std::collections::BTreeMap;

use block::Comment;

/// The environment, as far as overrides go.
pub(crate) type Env = BTreeMap<String, String>;

/// A tool `awsproxy setup` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Tool {
    /// pip.conf `index-url` (user level only)
    Pip,
    /// uv.toml default `[[index]]`
    Uv,
    /// pyproject.toml primary source (--project only)
    Poetry,
    /// .npmrc `registry=` (pnpm and yarn read it too)
    Npm,
    /// .cargo/config.toml `[registries.NAME]`
    Cargo,
    /// ~/.m2/settings.xml `<mirror>` of `*`
    Maven,
    /// ~/.gradle/init.d/awsproxy.gradle init script
    Gradle,
    /// ~/.docker/config.json `credHelpers` for the `[[docker.registry]]` hosts
    Docker,
}

impl Tool {
    pub(crate) const ALL: [Tool; 8] = [
        Tool::Pip,
        Tool::Uv,
        Tool::Poetry,
        Tool::Npm,
        Tool::Cargo,
        Tool::Maven,
        Tool::Gradle,
        Tool::Docker,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tool::Pip => "pip",
            Tool::Uv => "uv",
            Tool::Poetry => "poetry",
            Tool::Npm => "npm",
            Tool::Cargo => "cargo",
            Tool::Maven => "maven",
            Tool::Gradle => "gradle",
            Tool::Docker => "docker",
        }
    }

    /// The `[[repos.FORMAT]]` whose mounts this tool uses (`docker`: none,
    /// its registries are `[[docker.registry]]`).
    pub(crate) fn format(self) -> &'static str {
        match self {
            Tool::Pip | Tool::Uv | Tool::Poetry => "pypi",
            Tool::Npm => "npm",
            Tool::Cargo => "cargo",
            Tool::Maven | Tool::Gradle => "maven",
            Tool::Docker => "docker",
        }
    }

    /// Whether the tool has a project-level file `--project` can edit.
    pub(crate) fn has_project_file(self) -> bool {
        matches!(self, Tool::Uv | Tool::Poetry | Tool::Npm | Tool::Cargo)
    }

    fn comment(self) -> Comment {
        match self {
            Tool::Maven => Comment::Xml,
            Tool::Gradle => Comment::Slash,
            _ => Comment::Hash,
        }
    }
}

/// The mount a tool is pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `http://127.0.0.1:9000`, no trailing slash.
    pub base: String,
    pub mount: String,
    /// The mount accepts uploads (npm: write the placeholder `_authToken`).
    pub publish: bool,
    /// cargo: also replace crates.io with this registry.
    pub replace_crates_io: bool,
}

impl Endpoint {
    /// The URL the tool is given for this mount.
    pub(crate) fn url(&self, tool: Tool) -> String {
        let (base, mount) = (&self.base, &self.mount);
        match tool {
            Tool::Pip | Tool::Uv | Tool::Poetry => format!("{base}/pypi/{mount}/simple/"),
            Tool::Npm => format!("{base}/npm/{mount}/"),
            Tool::Cargo => format!("sparse+{base}/cargo/{mount}/"),
            Tool::Maven | Tool::Gradle => format!("{base}/maven/{mount}/"),
            Tool::Docker => String::new(),
        }
    }
}

/// What to do with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// It is already as wanted.
    Unchanged,
    /// Write this text.
    Write(String),
    /// Delete the file (undo of a file awsproxy created).
    Delete,
}

/// Why a file is left alone, and what the user can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub message: String,
    pub hint: String,
}

impl Refusal {
    pub(crate) fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

fn broken_markers(tool: Tool, why: String) -> Refusal {
    Refusal::new(
        format!(
            "the {} file's awsproxy block is damaged: {why}",
            tool.as_str()
        ),
        "fix or delete the lines between the `>>> awsproxy >>>` and `<<< awsproxy <<<` markers by hand, then run the command again",
    )
}

/// The new text of a tool's file (`current` is `None` when it does not exist)
/// pointing it at `endpoint`, or why it must not be edited.
pub(crate) fn setup(
    tool: Tool,
    current: Option<&str>,
    endpoint: &Endpoint,
    env: &Env,
) -> Result<Plan, Refusal> {
    let text = current.unwrap_or("");
    let found = block::find(text, tool.comment()).map_err(|why| broken_markers(tool, why))?;
    let outside = found
        .as_ref()
        .map_or_else(|| text.to_owned(), |f| block::remove(text, f));
    tools::check_parses(tool, &outside)?;
    tools::check_overrides(tool, &outside, endpoint, env)?;
    let place = tools::placement(tool, &outside)?;
    let body = tools::body(tool, endpoint, &place);
    let new = match &found {
        Some(f) if f.body == body => return Ok(Plan::Unchanged),
        Some(f) => block::replace(text, f, &body),
        None => block::insert(
            text,
            place.offset,
            &body,
            tool.comment(),
            &place.indent,
            current.is_none(),
        ),
    };
    // What the tool reads must still parse (say a TOML table defined twice).
    tools::check_parses(tool, &new).map_err(|r| {
        Refusal::new(
            format!(
                "adding awsproxy's settings would make the file invalid: {}",
                r.message
            ),
            r.hint,
        )
    })?;
    Ok(Plan::Write(new))
}

/// The text without awsproxy's block, byte for byte as before `setup`.
pub(crate) fn undo(tool: Tool, current: Option<&str>) -> Result<Plan, Refusal> {
    let Some(text) = current else {
        return Ok(Plan::Unchanged);
    };
    let found = block::find(text, tool.comment()).map_err(|why| broken_markers(tool, why))?;
    Ok(match found {
        None => Plan::Unchanged,
        Some(f) => {
            let rest = block::remove(text, &f);
            if f.created && rest.is_empty() {
                Plan::Delete
            } else {
                Plan::Write(rest)
            }
        }
    })
}

/// The URL awsproxy's block points the tool at, if the file has one.
pub(crate) fn configured_url(tool: Tool, current: Option<&str>) -> Result<Option<String>, Refusal> {
    let Some(text) = current else { return Ok(None) };
    let found = block::find(text, tool.comment()).map_err(|why| broken_markers(tool, why))?;
    Ok(found.map(|f| {
        let start = f.body.find("http://").or_else(|| f.body.find("https://"));
        start.map_or_else(String::new, |i| {
            f.body[i..]
                .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<'))
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    }))
}

/// The mount name in a URL awsproxy wrote (`.../pypi/NAME/simple/` -> `NAME`).
pub(crate) fn mount_of(url: &str) -> Option<&str> {
    ["/pypi/", "/npm/", "/cargo/", "/maven/"]
        .iter()
        .find_map(|p| url.split_once(p))
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|m| !m.is_empty())
}

/// The tools the status page offers a `setup` line for, one per format (pip
/// and uv for PyPI). Poetry has only a project file, Gradle follows Maven.
const SUGGESTED: [Tool; 5] = [Tool::Pip, Tool::Uv, Tool::Npm, Tool::Cargo, Tool::Maven];

/// `awsproxy setup TOOL --mount NAME` for each configured mount and its tools.
pub(crate) fn commands(repos: &crate::config::ReposSection) -> Vec<String> {
    SUGGESTED
        .iter()
        .flat_map(|tool| {
            target::mounts(repos, *tool)
                .into_iter()
                .map(move |(mount, _)| format!("awsproxy setup {} --mount {mount}", tool.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
