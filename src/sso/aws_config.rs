//! SSO sessions from the AWS CLI's config file (`AWS_CONFIG_FILE` or `~/.aws/config`).
//!
//! Two shapes exist, and both name a token cache file:
//!
//! - `[sso-session NAME]` with `sso_start_url` and `sso_region`: cache key `NAME`.
//! - a legacy `[profile P]` with `sso_start_url` and `sso_region` in the profile
//!   itself: cache key = the start URL (profiles sharing a URL share one session).
//!
//! Only the subset of the INI dialect the AWS CLI writes is understood: sections,
//! `key = value`, `#`/`;` comments and indented sub-keys (skipped).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Scopes the AWS CLI registers with when `sso_registration_scopes` is absent
/// for an `sso-session` (legacy profiles register without scopes).
pub const DEFAULT_SCOPES: &str = "sso:account:access";

/// Where a session was configured.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum SessionKind {
    /// `[sso-session NAME]`
    SsoSession,
    /// `sso_start_url` inside these profiles.
    LegacyProfile { profiles: Vec<String> },
}

/// One SSO session: everything needed to log in and to find its token file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// The `sso-session` name, or the start URL for legacy profiles.
    pub name: String,
    /// What the cache file name is the SHA-1 of.
    pub cache_key: String,
    pub start_url: String,
    pub region: String,
    /// Registration scopes (empty for legacy profiles: no refresh token then).
    pub scopes: Vec<String>,
    pub kind: SessionKind,
}

impl SsoSession {
    pub fn is_legacy(&self) -> bool {
        matches!(self.kind, SessionKind::LegacyProfile { .. })
    }

    /// The command that logs in to this session (legacy sessions by their profile).
    pub fn login_command(&self) -> String {
        match &self.kind {
            SessionKind::LegacyProfile { profiles } if !profiles.is_empty() => {
                format!("awsproxy sso login --profile {}", profiles[0])
            }
            _ => format!("awsproxy sso login {}", self.name),
        }
    }

    /// Whether `name` selects this session: its name, start URL or (legacy) a profile.
    pub fn matches(&self, name: &str) -> bool {
        self.name == name
            || self.start_url == name
            || matches!(&self.kind, SessionKind::LegacyProfile { profiles } if profiles.iter().any(|p| p == name))
    }
}

/// The parsed file: sessions, and which session each profile uses.
#[derive(Debug, Clone, Default)]
pub struct AwsConfig {
    pub path: PathBuf,
    pub sessions: Vec<SsoSession>,
    /// profile name -> session name
    pub profiles: BTreeMap<String, String>,
}

impl AwsConfig {
    /// Reads `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match fs_err::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).context("cannot read the AWS config file"),
        };
        parse(&text, path)
    }

    /// The session a profile uses.
    pub fn session_for_profile(&self, profile: &str) -> anyhow::Result<&SsoSession> {
        let name = self.profiles.get(profile).with_context(|| {
            format!(
                "profile `{profile}` in {} has no `sso_session` or `sso_start_url`",
                self.path.display()
            )
        })?;
        self.sessions
            .iter()
            .find(|s| &s.name == name)
            .with_context(|| format!("profile `{profile}` names an unknown sso-session `{name}`"))
    }

    /// The session named `name` (session name, start URL or legacy profile).
    pub fn session(&self, name: &str) -> Option<&SsoSession> {
        self.sessions
            .iter()
            .find(|s| s.name == name)
            .or_else(|| self.sessions.iter().find(|s| s.matches(name)))
    }

    /// Sessions narrowed by `[sso] sessions` (all when `None`).
    pub fn selected(&self, filter: Option<&[String]>) -> Vec<SsoSession> {
        self.sessions
            .iter()
            .filter(|s| filter.is_none_or(|names| names.iter().any(|n| s.matches(n))))
            .cloned()
            .collect()
    }
}

/// The profiles a config file (`[profile NAME]`, `[default]`) or a credentials
/// file (`[NAME]`) defines, in file order.
pub fn profile_names(text: &str, file: ProfileFile) -> Vec<String> {
    sections(text)
        .into_iter()
        .filter_map(|(header, _)| match file {
            ProfileFile::Credentials => Some(header),
            ProfileFile::Config if header == "default" => Some(header),
            ProfileFile::Config => header.strip_prefix("profile ").map(str::to_owned),
        })
        .collect()
}

/// Which of the AWS CLI's two files a text comes from: they name profiles differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFile {
    Config,
    Credentials,
}

type Sections = Vec<(String, BTreeMap<String, String>)>;

fn sections(text: &str) -> Sections {
    let mut out: Sections = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue; // nested sub-keys (e.g. `s3 =` blocks): not ours
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((
                header.split_whitespace().collect::<Vec<_>>().join(" "),
                BTreeMap::new(),
            ));
        } else if let (Some((key, value)), Some((_, map))) = (line.split_once('='), out.last_mut())
        {
            let value = strip_inline_comment(value.trim());
            map.insert(key.trim().to_owned(), value.to_owned());
        }
    }
    out
}

/// `value ; comment` / `value # comment` (only after whitespace, as botocore does).
fn strip_inline_comment(value: &str) -> &str {
    for marker in [" #", " ;", "\t#", "\t;"] {
        if let Some(i) = value.find(marker) {
            return value[..i].trim_end();
        }
    }
    value
}

fn scopes(raw: Option<&String>) -> Vec<String> {
    raw.map_or(DEFAULT_SCOPES, String::as_str)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses the text of a config file (`path` is only used in messages).
pub fn parse(text: &str, path: &Path) -> anyhow::Result<AwsConfig> {
    let sections = sections(text);
    let mut config = AwsConfig {
        path: path.to_owned(),
        ..AwsConfig::default()
    };
    for (header, keys) in &sections {
        let Some(name) = header.strip_prefix("sso-session ") else {
            continue;
        };
        let (Some(start_url), Some(region)) = (keys.get("sso_start_url"), keys.get("sso_region"))
        else {
            anyhow::bail!(
                "[sso-session {name}] in {} needs `sso_start_url` and `sso_region`",
                path.display()
            );
        };
        config.sessions.push(SsoSession {
            name: name.to_owned(),
            cache_key: name.to_owned(),
            start_url: start_url.clone(),
            region: region.clone(),
            scopes: scopes(keys.get("sso_registration_scopes")),
            kind: SessionKind::SsoSession,
        });
    }
    for (header, keys) in &sections {
        let profile = match header.as_str() {
            "default" => "default",
            h => match h.strip_prefix("profile ") {
                Some(p) => p,
                None => continue,
            },
        };
        if let Some(session) = keys.get("sso_session") {
            config.profiles.insert(profile.to_owned(), session.clone());
        } else if let Some(start_url) = keys.get("sso_start_url") {
            let region = keys.get("sso_region").with_context(|| {
                format!(
                    "[profile {profile}] in {} sets `sso_start_url` but no `sso_region`",
                    path.display()
                )
            })?;
            match config
                .sessions
                .iter_mut()
                .find(|s| s.is_legacy() && &s.cache_key == start_url)
            {
                Some(SsoSession {
                    kind: SessionKind::LegacyProfile { profiles },
                    ..
                }) => profiles.push(profile.to_owned()),
                _ => config.sessions.push(SsoSession {
                    name: start_url.clone(),
                    cache_key: start_url.clone(),
                    start_url: start_url.clone(),
                    region: region.clone(),
                    scopes: Vec::new(),
                    kind: SessionKind::LegacyProfile {
                        profiles: vec![profile.to_owned()],
                    },
                }),
            }
            config
                .profiles
                .insert(profile.to_owned(), start_url.clone());
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INI: &str = "\
[default]
region = eu-west-1

[profile dev]
sso_session = my-sso
sso_account_id = 123456789012
sso_role_name = DeveloperRole
s3 =
  max_concurrent_requests = 20

[sso-session my-sso]
sso_start_url = https://my-company.awsapps.com/start ; inline
sso_region = us-east-1
sso_registration_scopes = sso:account:access, codewhisperer:completions

[profile old]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-central-1
sso_account_id = 1

[profile old2]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-central-1
";

    #[test]
    fn sessions_and_legacy_profiles() {
        let c = parse(INI, Path::new("config")).unwrap();
        assert_eq!(c.sessions.len(), 2);
        let s = c.session("my-sso").unwrap();
        assert_eq!(s.start_url, "https://my-company.awsapps.com/start");
        assert_eq!(
            s.scopes,
            ["sso:account:access", "codewhisperer:completions"]
        );
        assert_eq!(c.session_for_profile("dev").unwrap().name, "my-sso");
        let legacy = c.session_for_profile("old2").unwrap();
        assert_eq!(legacy.cache_key, "https://legacy.awsapps.com/start");
        assert!(legacy.scopes.is_empty());
        assert!(legacy.matches("old"));
        assert_eq!(legacy.login_command(), "awsproxy sso login --profile old");
        assert_eq!(s.login_command(), "awsproxy sso login my-sso");
        assert!(c.session_for_profile("default").is_err());
        assert_eq!(c.selected(Some(&["old".into()])).len(), 1);
    }

    #[test]
    fn incomplete_session_is_an_error() {
        let err = parse(
            "[sso-session x]\nsso_region = us-east-1\n",
            Path::new("cfg"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("sso_start_url"), "{err}");
    }

    #[test]
    fn profile_names_of_both_files() {
        let config =
            "[default]\nregion = x\n[profile dev]\n[sso-session s]\n[profile  two words]\n";
        assert_eq!(
            profile_names(config, ProfileFile::Config),
            ["default", "dev", "two words"]
        );
        let credentials = "[default]\naws_access_key_id = A\n[ci]\n";
        assert_eq!(
            profile_names(credentials, ProfileFile::Credentials),
            ["default", "ci"]
        );
    }
}
