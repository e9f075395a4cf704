//! Mounts that accept uploads or deploys. Publishing is off by default; where a
//! mount turns it on, anything that can reach the repository listener can
//! publish with awsproxy's credentials (it refuses web pages and asks for an
//! `Authorization` header, but any value passes), so doctor says so.

use super::Finding;
use crate::config::Config;

/// One warning per mount with `allow_upload` or `allow_deploy` on.
pub fn publishing(config: &Config) -> Vec<Finding> {
    let Some(repos) = &config.file.repos else {
        return Vec::new();
    };
    let pypi = repos
        .pypi
        .iter()
        .filter(|m| m.allow_upload)
        .map(|m| ("pypi", &m.name, "allow_upload", "uploads (twine)"));
    let maven = repos
        .maven
        .iter()
        .filter(|m| m.allow_deploy)
        .map(|m| ("maven", &m.name, "allow_deploy", "deploys (mvn deploy)"));
    pypi.chain(maven)
        .map(|(kind, name, key, what)| {
            Finding::warn(
                format!("publish:{kind}:{name}"),
                format!(
                    "{what} are on for /{kind}/{name}/: any local process that reaches {} may publish with awsproxy's credentials",
                    repos.listen.0
                ),
                format!(
                    "keep `{key} = true` only where this machine publishes; web pages are refused, other local users and containers are not"
                ),
            )
        })
        .collect()
}
