//! Per tool: whether its file parses, which settings outside awsproxy's block
//! (or in the environment) would win over the block, where the block goes, and
//! what it says.

use super::{Endpoint, Env, Refusal, Tool, ini, maven};

/// Where the block goes and what surrounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placement {
    pub offset: usize,
    pub indent: String,
    pub context: Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// The block stands alone (at the end of the file, or before its first section).
    TopLevel,
    /// pip: right after the file's own `[global]` header.
    InPipGlobal,
    /// Maven: inside `<mirrors>`.
    InMirrors,
    /// Maven: inside `<settings>`, which has no `<mirrors>`.
    InSettings,
}

fn top(offset: usize) -> Placement {
    Placement {
        offset,
        indent: String::new(),
        context: Context::TopLevel,
    }
}

fn unparseable(tool: Tool, why: impl std::fmt::Display) -> Refusal {
    Refusal::new(
        format!(
            "the {} configuration file does not parse: {why}",
            tool.as_str()
        ),
        "fix the file (or move it aside), then run the command again; awsproxy edits only files it can read",
    )
}

pub(super) fn check_parses(tool: Tool, text: &str) -> Result<(), Refusal> {
    match tool {
        Tool::Pip => ini::parse(text, true)
            .map(drop)
            .map_err(|e| unparseable(tool, e)),
        Tool::Npm => ini::parse(text, false)
            .map(drop)
            .map_err(|e| unparseable(tool, e)),
        Tool::Uv | Tool::Poetry | Tool::Cargo => toml_table(tool, text).map(drop),
        Tool::Maven => maven::check(text)
            .map(drop)
            .map_err(|e| unparseable(tool, e)),
        Tool::Gradle | Tool::Docker => Ok(()),
    }
}

fn toml_table(tool: Tool, text: &str) -> Result<toml::Table, Refusal> {
    toml::from_str::<toml::Table>(text).map_err(|e| unparseable(tool, e.message()))
}

/// A setting of the file, outside awsproxy's block, that would win over the
/// block's or clash with it (pip refuses a key set twice in a section).
fn overridden(what: String, hint: impl Into<String>) -> Refusal {
    Refusal::new(format!("{what} outside awsproxy's block"), hint)
}

fn env_override(env: &Env, names: &[&str]) -> Result<(), Refusal> {
    for name in names {
        if let Some((key, _)) = env
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
        {
            return Err(Refusal::new(
                format!("the environment sets {key}, which would win over awsproxy's setting"),
                format!("unset {key} (check your shell profile), then run the command again"),
            ));
        }
    }
    Ok(())
}

fn normal_key(key: &str) -> String {
    key.to_ascii_lowercase().replace('_', "-")
}

pub(super) fn check_overrides(
    tool: Tool,
    outside: &str,
    endpoint: &Endpoint,
    env: &Env,
) -> Result<(), Refusal> {
    match tool {
        Tool::Pip => {
            // With PIP_CONFIG_FILE set, pip skips the user's pip.conf entirely.
            env_override(env, &["PIP_INDEX_URL", "PIP_CONFIG_FILE"])?;
            let entries = ini::parse(outside, true).map_err(|e| unparseable(tool, e))?;
            for entry in entries {
                if let ini::Entry::Key {
                    section: Some(section),
                    key,
                    ..
                } = entry
                    && normal_key(key) == "index-url"
                {
                    return Err(overridden(
                        format!("the file already sets `index-url` in [{section}]"),
                        format!(
                            "remove the `index-url` line from [{section}] (awsproxy's block sets it in [global]), then run the command again"
                        ),
                    ));
                }
            }
        }
        Tool::Npm => {
            env_override(env, &["NPM_CONFIG_REGISTRY"])?;
            let entries = ini::parse(outside, false).map_err(|e| unparseable(tool, e))?;
            if entries.iter().any(|e| matches!(e, ini::Entry::Key { key, section: None, .. } if key.eq_ignore_ascii_case("registry"))) {
                return Err(overridden(
                    "the file already sets `registry=`".to_owned(),
                    "remove that `registry=` line, then run the command again",
                ));
            }
        }
        Tool::Uv => {
            // UV_CONFIG_FILE and UV_NO_CONFIG make uv skip the user's uv.toml.
            env_override(
                env,
                &[
                    "UV_DEFAULT_INDEX",
                    "UV_INDEX_URL",
                    "UV_CONFIG_FILE",
                    "UV_NO_CONFIG",
                ],
            )?;
            let table = toml_table(tool, outside)?;
            let default_index = table
                .get("index")
                .and_then(toml::Value::as_array)
                .is_some_and(|a| {
                    a.iter()
                        .any(|i| i.get("default").and_then(toml::Value::as_bool) == Some(true))
                });
            let legacy = table.contains_key("index-url")
                || table
                    .get("pip")
                    .is_some_and(|p| p.get("index-url").is_some());
            if default_index || legacy {
                return Err(overridden(
                    "the file already names a default index (`[[index]]` with `default = true`, or `index-url`)".to_owned(),
                    "remove that setting, then run the command again",
                ));
            }
        }
        Tool::Poetry => {
            let table = toml_table(tool, outside)?;
            let sources = table
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.get("source"))
                .and_then(toml::Value::as_array)
                .cloned()
                .unwrap_or_default();
            let name = format!("awsproxy-{}", endpoint.mount);
            let str_of = |s: &toml::Value, key: &str| {
                s.get(key).and_then(toml::Value::as_str).map(str::to_owned)
            };
            if let Some(first) = sources.iter().find(|s| {
                matches!(
                    str_of(s, "priority").as_deref(),
                    Some("primary" | "default")
                ) || s.get("default").and_then(toml::Value::as_bool) == Some(true)
                    || str_of(s, "name").as_deref() == Some(name.as_str())
            }) {
                return Err(overridden(
                    format!(
                        "pyproject.toml already has the source `{}` (primary, default or named like awsproxy's)",
                        str_of(first, "name").unwrap_or_default()
                    ),
                    "remove it or make it `priority = \"supplemental\"` or `\"explicit\"`, then run the command again",
                ));
            }
        }
        Tool::Cargo => {
            let var = format!(
                "CARGO_REGISTRIES_{}_INDEX",
                endpoint.mount.to_ascii_uppercase().replace('-', "_")
            );
            env_override(env, &[&var])?;
            let table = toml_table(tool, outside)?;
            if table
                .get("registries")
                .is_some_and(|r| r.get(&endpoint.mount).is_some())
            {
                return Err(overridden(
                    format!("the file already defines the registry `{}`", endpoint.mount),
                    format!(
                        "remove its `[registries.{}]` table, then run the command again",
                        endpoint.mount
                    ),
                ));
            }
            if endpoint.replace_crates_io
                && table
                    .get("source")
                    .is_some_and(|s| s.get("crates-io").is_some())
            {
                return Err(overridden(
                    "the file already has a `[source.crates-io]` table".to_owned(),
                    "remove it, or run without --replace-crates-io",
                ));
            }
        }
        Tool::Maven => maven::check_overrides(outside)?,
        Tool::Gradle | Tool::Docker => {}
    }
    Ok(())
}

pub(super) fn placement(tool: Tool, outside: &str) -> Result<Placement, Refusal> {
    match tool {
        Tool::Pip => {
            let entries = ini::parse(outside, true).map_err(|e| unparseable(tool, e))?;
            let global = entries.iter().find_map(|e| match e {
                ini::Entry::Section { name: "global", at } => Some(*at),
                _ => None,
            });
            Ok(match global {
                Some(at) => match outside[at..].find('\n') {
                    Some(nl) => Placement {
                        offset: at + nl + 1,
                        indent: String::new(),
                        context: Context::InPipGlobal,
                    },
                    // `[global]` is the last line, without a newline.
                    None => Placement {
                        offset: outside.len(),
                        indent: String::new(),
                        context: Context::InPipGlobal,
                    },
                },
                None => top(outside.len()),
            })
        }
        // Keys after a `[section]` line would land in that section.
        Tool::Npm => {
            let entries = ini::parse(outside, false).map_err(|e| unparseable(tool, e))?;
            Ok(top(entries
                .iter()
                .find_map(|e| match e {
                    ini::Entry::Section { at, .. } => Some(*at),
                    ini::Entry::Key { .. } => None,
                })
                .unwrap_or(outside.len())))
        }
        Tool::Uv | Tool::Cargo | Tool::Docker => Ok(top(outside.len())),
        Tool::Poetry if outside.trim().is_empty() => Err(Refusal::new(
            "there is no pyproject.toml to add a source to",
            "run `poetry init` (or pass --project DIR for the project's directory), then run the command again",
        )),
        Tool::Poetry => Ok(top(outside.len())),
        Tool::Maven => maven::placement(outside),
        Tool::Gradle => {
            if outside.trim().is_empty() {
                Ok(top(outside.len()))
            } else {
                Err(Refusal::new(
                    "the Gradle init script awsproxy.gradle exists and was not written by awsproxy",
                    "move it aside (it is awsproxy's file name), then run the command again",
                ))
            }
        }
    }
}

/// A TOML key, quoted unless it is bare.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

pub(super) fn body(tool: Tool, endpoint: &Endpoint, place: &Placement) -> String {
    let url = endpoint.url(tool);
    match tool {
        Tool::Pip => {
            let header = if place.context == Context::InPipGlobal {
                ""
            } else {
                "[global]\n"
            };
            format!("{header}index-url = {url}\n")
        }
        Tool::Uv => format!(
            "[[index]]\nname = {}\nurl = {}\ndefault = true\n",
            toml_string(&format!("awsproxy-{}", endpoint.mount)),
            toml_string(&url)
        ),
        Tool::Poetry => format!(
            "[[tool.poetry.source]]\nname = {}\nurl = {}\npriority = \"primary\"\n",
            toml_string(&format!("awsproxy-{}", endpoint.mount)),
            toml_string(&url)
        ),
        Tool::Npm => {
            let mut out = format!("registry={url}\n");
            if endpoint.publish {
                // npm publish insists on a token; awsproxy replaces it with the real one.
                let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                out.push_str(&format!("//{path}:_authToken=unused\n"));
            }
            out
        }
        Tool::Cargo => {
            let name = toml_key(&endpoint.mount);
            let mut out = format!("[registries.{name}]\nindex = {}\n", toml_string(&url));
            if endpoint.replace_crates_io {
                out.push_str(&format!(
                    "\n[source.crates-io]\nreplace-with = {}\n",
                    toml_string(&endpoint.mount)
                ));
            }
            out
        }
        Tool::Maven => maven::body(&endpoint.mount, &url, place),
        Tool::Gradle => gradle_script(&url),
        // JSON has no comment lines: `setup::docker` edits its members instead.
        Tool::Docker => String::new(),
    }
}

fn gradle_script(url: &str) -> String {
    format!(
        "\
// Written by `awsproxy setup gradle`; `awsproxy setup gradle --undo` removes it.
// Every build resolves plugins and dependencies through awsproxy's Maven mount.
def awsproxyMaven = '{url}'
settingsEvaluated {{ settings ->
    settings.pluginManagement.repositories {{
        maven {{
            url = awsproxyMaven
            allowInsecureProtocol = true
        }}
    }}
}}
allprojects {{
    repositories {{
        maven {{
            url = awsproxyMaven
            allowInsecureProtocol = true
        }}
    }}
}}
"
    )
}
