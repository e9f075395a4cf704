//! Which file and which mount: each tool's config file as the tool itself finds
//! it (from HOME and the variables it reads), and the `[[repos.FORMAT]]` mount
//! it is pointed at.

use std::path::{Path, PathBuf};

use super::{Endpoint, Env, Tool};
use crate::config::ReposSection;
use crate::env_vars;
use crate::error::Error;

/// Where a tool's file is, from the environment the tool itself reads.
pub(crate) struct Locations<'a> {
    pub home: &'a Path,
    /// `$XDG_CONFIG_HOME`, or `~/.config`.
    pub config_home: PathBuf,
    pub env: &'a Env,
}

impl Locations<'_> {
    fn var(&self, name: &str) -> Option<PathBuf> {
        self.env
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
            .map(|(_, v)| PathBuf::from(v))
    }

    /// The user-level file; poetry has none (its sources are per project).
    pub(crate) fn user_file(&self, tool: Tool) -> Option<PathBuf> {
        Some(match tool {
            Tool::Poetry => return None,
            Tool::Pip => self.config_home.join("pip/pip.conf"),
            Tool::Uv => self.config_home.join("uv/uv.toml"),
            Tool::Npm => self
                .var(env_vars::NPM_CONFIG_USERCONFIG)
                .unwrap_or_else(|| self.home.join(".npmrc")),
            Tool::Cargo => cargo_config(
                &self
                    .var(env_vars::CARGO_HOME)
                    .unwrap_or_else(|| self.home.join(".cargo")),
            ),
            Tool::Maven => self.home.join(".m2/settings.xml"),
            Tool::Gradle => self
                .var(env_vars::GRADLE_USER_HOME)
                .unwrap_or_else(|| self.home.join(".gradle"))
                .join("init.d/awsproxy.gradle"),
            Tool::Docker => self
                .var(env_vars::DOCKER_CONFIG)
                .unwrap_or_else(|| self.home.join(".docker"))
                .join("config.json"),
        })
    }

    /// The user-level file, or the project's in `project`.
    pub(crate) fn file(&self, tool: Tool, project: Option<&Path>) -> Result<PathBuf, Error> {
        let Some(dir) = project else {
            return self.user_file(tool).ok_or_else(|| Error::Usage {
                message: format!(
                    "{} keeps its sources in each project's pyproject.toml",
                    tool.as_str()
                ),
                hint: Some(format!(
                    "run `awsproxy setup {} --project [DIR]`",
                    tool.as_str()
                )),
            });
        };
        Ok(match tool {
            Tool::Uv => dir.join("uv.toml"),
            Tool::Poetry => dir.join("pyproject.toml"),
            Tool::Npm => dir.join(".npmrc"),
            Tool::Cargo => cargo_config(&dir.join(".cargo")),
            Tool::Pip | Tool::Maven | Tool::Gradle | Tool::Docker => {
                return Err(Error::Usage {
                    message: format!("{} has no project-level file for --project", tool.as_str()),
                    hint: Some(format!(
                        "run `awsproxy setup {}` without --project for the user-level file",
                        tool.as_str()
                    )),
                });
            }
        })
    }
}

/// Cargo reads `config` when it exists without `config.toml`.
fn cargo_config(dir: &Path) -> PathBuf {
    let legacy = dir.join("config");
    let toml = dir.join("config.toml");
    if !toml.exists() && legacy.is_file() {
        legacy
    } else {
        toml
    }
}

/// The base URL of the repository listener: `AWSPROXY_REPOS_LISTEN` (as `serve`
/// reads it), else `[repos] listen`; an unspecified address means loopback.
fn base_url(repos: &ReposSection, env: &Env) -> String {
    let mut addr = env
        .get(env_vars::AWSPROXY_REPOS_LISTEN)
        .and_then(|v| v.parse::<crate::config::values::ListenAddr>().ok())
        .unwrap_or(repos.listen)
        .0;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{addr}")
}

/// The mounts of the tool's format, with whether each accepts uploads.
pub(super) fn mounts(repos: &ReposSection, tool: Tool) -> Vec<(String, bool)> {
    match tool.format() {
        "pypi" => repos
            .pypi
            .iter()
            .map(|m| (m.name.clone(), m.allow_upload))
            .collect(),
        "npm" => repos
            .npm
            .iter()
            .map(|m| (m.name.clone(), m.allow_publish))
            .collect(),
        "cargo" => repos
            .cargo
            .iter()
            .map(|m| (m.name.clone(), m.allow_publish))
            .collect(),
        _ => repos
            .maven
            .iter()
            .map(|m| (m.name.clone(), m.allow_deploy))
            .collect(),
    }
}

/// The mount `tool` uses: `wanted` (`--mount`), or the only one of its format.
/// `source` names the configuration in errors.
pub(crate) fn endpoint(
    repos: &ReposSection,
    env: &Env,
    tool: Tool,
    wanted: Option<&str>,
    replace_crates_io: bool,
    source: &str,
) -> Result<Endpoint, Error> {
    let all = mounts(repos, tool);
    let names = || {
        all.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let format = tool.format();
    let chosen = match (wanted, all.as_slice()) {
        (_, []) => {
            return Err(Error::Usage {
                message: format!(
                    "{source} has no `[[repos.{format}]]` mount for {}",
                    tool.as_str()
                ),
                hint: Some(format!(
                    "add a `[[repos.{format}]]` section (see `awsproxy config default` and the README), then run the command again"
                )),
            });
        }
        (None, [one]) => one,
        (None, _) => {
            return Err(Error::Usage {
                message: format!(
                    "{source} has several `[[repos.{format}]]` mounts: {}",
                    names()
                ),
                hint: Some(format!(
                    "say which with --mount, e.g. `awsproxy setup {} --mount {}`",
                    tool.as_str(),
                    all[0].0
                )),
            });
        }
        (Some(wanted), _) => all
            .iter()
            .find(|(n, _)| n == wanted)
            .ok_or_else(|| Error::Usage {
                message: format!("no `[[repos.{format}]]` mount named `{wanted}` in {source}"),
                hint: Some(format!("configured: {}", names())),
            })?,
    };
    Ok(Endpoint {
        base: base_url(repos, env),
        mount: chosen.0.clone(),
        publish: chosen.1,
        replace_crates_io: replace_crates_io && tool == Tool::Cargo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos(toml: &str) -> ReposSection {
        toml::from_str(toml).unwrap()
    }

    const MOUNT: &str = "domain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\n";

    #[test]
    fn one_mount_is_used_several_need_a_name() {
        let one = repos(&format!(
            "listen = \"0.0.0.0:9100\"\n[[npm]]\nname = \"main\"\nallow_publish = true\n{MOUNT}"
        ));
        let ep = endpoint(&one, &Env::new(), Tool::Npm, None, false, "cfg").unwrap();
        assert_eq!(
            ep.base, "http://127.0.0.1:9100",
            "an unspecified address is written as loopback"
        );
        assert!(ep.publish);
        assert_eq!(ep.url(Tool::Npm), "http://127.0.0.1:9100/npm/main/");

        let two = repos(&format!(
            "[[pypi]]\nname = \"a\"\n{MOUNT}[[pypi]]\nname = \"b\"\n{MOUNT}"
        ));
        let err = endpoint(&two, &Env::new(), Tool::Uv, None, false, "cfg").unwrap_err();
        assert!(err.to_string().contains("a, b"), "{err}");
        assert!(err.hint().unwrap().contains("--mount"));
        assert_eq!(
            endpoint(&two, &Env::new(), Tool::Pip, Some("b"), false, "cfg")
                .unwrap()
                .mount,
            "b"
        );
        let err = endpoint(&two, &Env::new(), Tool::Pip, Some("c"), false, "cfg").unwrap_err();
        assert_eq!(err.hint().unwrap(), "configured: a, b");

        let err = endpoint(&two, &Env::new(), Tool::Cargo, None, false, "cfg").unwrap_err();
        assert!(err.hint().unwrap().contains("[[repos.cargo]]"));
    }

    #[test]
    fn the_listen_override_of_serve_is_honoured() {
        let one = repos(&format!("[[pypi]]\nname = \"a\"\n{MOUNT}"));
        let env = Env::from([(
            env_vars::AWSPROXY_REPOS_LISTEN.to_owned(),
            "[::]:9200".to_owned(),
        )]);
        let ep = endpoint(&one, &env, Tool::Pip, None, false, "cfg").unwrap();
        assert_eq!(ep.url(Tool::Pip), "http://[::1]:9200/pypi/a/simple/");
    }

    #[test]
    fn files_follow_the_variables_each_tool_reads() {
        let env = Env::from([
            ("npm_config_userconfig".to_owned(), "/n/rc".to_owned()),
            (env_vars::GRADLE_USER_HOME.to_owned(), "/g".to_owned()),
        ]);
        let at = Locations {
            home: Path::new("/h"),
            config_home: PathBuf::from("/x"),
            env: &env,
        };
        assert_eq!(
            at.user_file(Tool::Pip).unwrap(),
            Path::new("/x/pip/pip.conf")
        );
        assert_eq!(at.user_file(Tool::Npm).unwrap(), Path::new("/n/rc"));
        assert_eq!(
            at.user_file(Tool::Gradle).unwrap(),
            Path::new("/g/init.d/awsproxy.gradle")
        );
        assert_eq!(
            at.user_file(Tool::Maven).unwrap(),
            Path::new("/h/.m2/settings.xml")
        );
        assert_eq!(
            at.file(Tool::Uv, Some(Path::new("/p"))).unwrap(),
            Path::new("/p/uv.toml")
        );
        assert!(at.file(Tool::Pip, Some(Path::new("/p"))).is_err());
        assert!(at.file(Tool::Poetry, None).is_err());
    }
}
