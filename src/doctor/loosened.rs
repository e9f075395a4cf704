//! Settings that loosen a secure default. Each one set is a warning that names
//! the setting, what it costs and how to undo it, so a user who turned one on
//! (or copied a config that did) sees it every time doctor runs.

use super::Finding;
use crate::config::Config;

/// Every loosened default in `config`.
pub fn findings(config: &Config) -> Vec<Finding> {
    let mut all = publishing(config);
    all.extend(stored_cookies(config));
    all.extend(unsigned_shared_cache(config));
    all
}

/// Publishing is off by default; where a mount turns it on, anything that can
/// reach the repository listener can publish with awsproxy's credentials (web
/// pages are refused and an `Authorization` header is required, but any value
/// passes).
fn publishing(config: &Config) -> Vec<Finding> {
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

/// `[[proxy.rule]] store_set_cookie = true`: responses that set a cookie are
/// shared (without the cookie), so a page personalised for one user can be
/// served to another.
fn stored_cookies(config: &Config) -> Vec<Finding> {
    let mut findings = Vec::new();
    let rules = config.file.proxy.as_ref().map_or(&[][..], |p| &p.rule[..]);
    for (i, rule) in rules.iter().enumerate() {
        if rule.store_set_cookie {
            findings.push(Finding::warn(
                format!("proxy.rule[{i}].store_set_cookie"),
                format!(
                    "responses that set a cookie are stored and shared (host {}, path {}); \
                     the cookie is stripped, but a page personalised for one user may reach another",
                    rule.host.as_deref().unwrap_or("any"),
                    rule.path
                        .as_deref()
                        .or(rule.path_regex.as_deref())
                        .unwrap_or("any"),
                ),
                "remove `store_set_cookie` unless those responses are the same for every user",
            ));
        }
    }
    findings
}

/// An S3 cache store without `[cache] hmac_key`: whoever can write the bucket
/// can replace any entry, and every instance sharing it serves the replacement.
/// (A key has to be shared by the team, so it can't be on by default.)
fn unsigned_shared_cache(config: &Config) -> Option<Finding> {
    let cache = config.file.cache.as_ref()?;
    if cache.store != crate::config::StoreKind::S3 || cache.hmac_key.is_some() {
        return None;
    }
    let bucket = cache.s3.as_ref().map_or("", |s| s.bucket.as_str());
    Some(Finding::warn(
        "cache.hmac_key",
        format!(
            "the shared cache bucket {bucket} is not signed: anyone who can write to it can \
             replace any entry, and every awsproxy sharing it serves the replacement"
        ),
        "set `[cache] hmac_key = \"${file:~/.config/awsproxy/cache.key}\"` to a key the team \
         shares (README, Cache), or give write access to the bucket only to those who may publish",
    ))
}
