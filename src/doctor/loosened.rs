//! Settings that loosen a secure default. Each one set is a warning that names
//! the setting, what it costs and how to undo it, so a user who turned one on
//! (or copied a config that did) sees it every time doctor runs. A listener off
//! loopback without its `allow_non_loopback` is a failure: `serve` refuses it.

use super::Finding;
use crate::config::Config;

/// Every loosened default in `config`.
pub fn findings(config: &Config) -> Vec<Finding> {
    let mut all = publishing(config);
    all.extend(stored_cookies(config));
    all.extend(exposed_listeners(config));
    all
}

/// A listener off loopback serves whoever reaches it, as the user: with
/// `allow_non_loopback` that is a warning, without it `serve` refuses to start.
fn exposed_listeners(config: &Config) -> Vec<Finding> {
    crate::daemon::exposure::listens(&config.file)
        .into_iter()
        .filter(|l| !l.is_local())
        .map(|l| {
            let check = format!("listen:{}", l.section);
            let reach = format!(
                "`[{}] listen` is {}: anyone who can reach it uses it as you (awsproxy has no access control of its own)",
                l.section, l.addr
            );
            if l.allowed {
                Finding::warn(
                    check,
                    format!("{reach}; `allow_non_loopback` is on"),
                    "keep it only where a firewall or network policy decides who reaches this address; otherwise listen on 127.0.0.1",
                )
            } else {
                Finding::fail(
                    check,
                    format!("{reach}; `serve` refuses to start this way"),
                    format!(
                        "listen on 127.0.0.1, or set `allow_non_loopback = true` in `[{}]` where a firewall or network policy decides who reaches it",
                        l.section
                    ),
                )
            }
        })
        .collect()
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
