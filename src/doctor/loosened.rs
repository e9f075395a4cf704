//! Settings that loosen a secure default. Each one set is a warning that names
//! the setting, what it costs and how to undo it, so a user who turned one on
//! (or copied a config that did) sees it every time doctor runs.

use super::Finding;
use crate::config::Config;

/// Every loosened default in `config`.
pub fn findings(config: &Config) -> Vec<Finding> {
    let mut all = publishing(config);
    all.extend(stored_cookies(config));
    all.extend(allowed_destinations(config));
    all
}

/// `[proxy] allow_destinations`: loopback, link-local or own-listener
/// destinations that every proxy client may now reach.
fn allowed_destinations(config: &Config) -> Option<Finding> {
    let proxy = config.file.proxy.as_ref()?;
    if proxy.allow_destinations.is_empty() {
        return None;
    }
    let entries: Vec<String> = proxy
        .allow_destinations
        .iter()
        .map(ToString::to_string)
        .collect();
    Some(Finding::warn(
        "proxy.allow_destinations",
        format!(
            "proxy clients may reach {} through the forward proxy: local services there answer \
             anyone who can use the proxy, and a link-local entry exposes instance metadata",
            entries.join(", ")
        ),
        "keep only entries for local services every proxy client may use (name ports, not whole \
         networks); remove `allow_destinations` to refuse loopback and link-local again",
    ))
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
