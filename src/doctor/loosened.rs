//! Settings that loosen a secure default. Each one set is a warning that names
//! the setting, what it costs and how to undo it, so a user who turned one on
//! (or copied a config that did) sees it every time doctor runs. A listener off
//! loopback without its `allow_non_loopback` is a failure: `serve` refuses it.

use super::Finding;
use crate::config::Config;

/// Every loosened default in `config`.
pub fn findings(config: &Config) -> Vec<Finding> {
    let mut all = publishing(config);
    all.extend(public_fallback(config));
    all.extend(stored_cookies(config));
    all.extend(allowed_destinations(config));
    all.extend(unsigned_shared_cache(config));
    all.extend(server_limits(config));
    all.extend(exposed_listeners(config));
    all
}

/// A listener off loopback serves whoever reaches it, as the user: with
/// `allow_non_loopback` alone that is a warning, with access control a
/// warning that tokens cross the network in clear (awsproxy's listeners speak
/// plain HTTP), without either `serve` refuses to start.
fn exposed_listeners(config: &Config) -> Vec<Finding> {
    crate::daemon::exposure::listens(&config.file)
        .into_iter()
        .filter(|l| !l.is_local())
        .map(|l| {
            let check = format!("listen:{}", l.section);
            let at = format!("`[{}] listen` is {}", l.section, l.addr);
            if l.controlled && l.tls {
                Finding::pass(check, format!("{at}, with access control and TLS"))
            } else if l.controlled {
                Finding::warn(
                    check,
                    format!("{at}, with access control, over plain HTTP: tokens and what clients fetch cross the network unencrypted"),
                    format!(
                        "set `tls_cert` and `tls_key` (or `tls_ca_names`) in `[{}]`, or keep it on a network you trust (a pod network, a VPC)",
                        l.section
                    ),
                )
            } else if l.allowed {
                Finding::warn(
                    check,
                    format!("{at}: anyone who can reach it uses it as you (no access control); `allow_non_loopback` is on"),
                    format!(
                        "keep it only where a firewall or network policy decides who reaches this address; otherwise add `allow_clients` or `[[access.token]]` entries, or listen on 127.0.0.1 (section `[{}]`)",
                        l.section
                    ),
                )
            } else {
                Finding::fail(
                    check,
                    format!("{at}: anyone who can reach it would use it as you; `serve` refuses to start this way"),
                    format!(
                        "listen on 127.0.0.1, or add `allow_clients` / `[[access.token]]` entries, or set `allow_non_loopback = true` in `[{}]` where a firewall or network policy decides who reaches it",
                        l.section
                    ),
                )
            }
        })
        .collect()
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

/// `fallback = "missing"`: names the private repository lacks come from a
/// public registry, where anyone may publish under any unclaimed name.
fn public_fallback(config: &Config) -> Vec<Finding> {
    use crate::config::Fallback;
    let Some(repos) = &config.file.repos else {
        return Vec::new();
    };
    let mounts = (repos.pypi.iter())
        .map(|m| ("pypi", &m.name, m.fallback, m.fallback_allow.is_empty()))
        .chain(
            (repos.npm.iter()).map(|m| ("npm", &m.name, m.fallback, m.fallback_allow.is_empty())),
        )
        .chain(
            (repos.cargo.iter())
                .map(|m| ("cargo", &m.name, m.fallback, m.fallback_allow.is_empty())),
        );
    mounts
        .filter(|(_, _, fallback, _)| *fallback == Fallback::Missing)
        .map(|(kind, name, _, open)| {
            let which = if open {
                "any name"
            } else {
                "names on `fallback_allow`"
            };
            Finding::warn(
                format!("fallback:{kind}:{name}"),
                format!(
                    "/{kind}/{name}/ takes {which} the private repository lacks from a public registry, where anyone may publish under a name you use internally (dependency confusion)"
                ),
                "list the public packages you use in `fallback_allow` and your internal prefixes in `fallback_deny`, or better give the CodeArtifact repository an upstream repository and set `fallback = \"off\"`",
            )
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
    let npm = repos
        .npm
        .iter()
        .filter(|m| m.allow_publish)
        .map(|m| ("npm", &m.name, "allow_publish", "publishes (npm publish)"));
    let cargo = repos.cargo.iter().filter(|m| m.allow_publish).map(|m| {
        (
            "cargo",
            &m.name,
            "allow_publish",
            "publishes (cargo publish, cargo yank)",
        )
    });
    pypi.chain(maven)
        .chain(npm)
        .chain(cargo)
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

/// `[server]` limits above their defaults: slow or idle clients hold
/// connections longer, and one listener may take more of the process's
/// descriptors before the others run short.
fn server_limits(config: &Config) -> Vec<Finding> {
    use crate::daemon::accept::{
        DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_TUNNEL_IDLE_TIMEOUT,
    };
    let Some(server) = &config.file.server else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if let Some(n) = server
        .max_connections
        .filter(|n| *n > DEFAULT_MAX_CONNECTIONS)
    {
        findings.push(Finding::warn(
            "server.max_connections",
            format!(
                "each listener serves up to {n} connections (default {DEFAULT_MAX_CONNECTIONS}): \
                 a flood on one listener can use the descriptors the others need"
            ),
            "keep it within a quarter of `ulimit -n`, or remove it",
        ));
    }
    for (key, value, default, what) in [
        (
            "header_timeout",
            server.header_timeout,
            DEFAULT_HEADER_TIMEOUT,
            "a client that never finishes its request headers, or an idle keep-alive connection, holds a connection",
        ),
        (
            "tunnel_idle_timeout",
            server.tunnel_idle_timeout,
            DEFAULT_TUNNEL_IDLE_TIMEOUT,
            "an idle passthrough tunnel holds a connection and two descriptors",
        ),
    ] {
        if let Some(value) = value.filter(|v| v.0 > default) {
            findings.push(Finding::warn(
                format!("server.{key}"),
                format!("{what} for up to {value}"),
                format!(
                    "the default is {}; remove `{key}` unless clients need longer",
                    humantime::format_duration(default)
                ),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigFile, ConfigSource, ServerSection, values::HumanDuration};

    fn checks(server: ServerSection) -> Vec<String> {
        let config = Config {
            file: ConfigFile {
                server: Some(server),
                ..ConfigFile::default()
            },
            source: ConfigSource::EmbeddedDefault,
        };
        findings(&config).into_iter().map(|f| f.check).collect()
    }

    #[test]
    fn server_limits_above_their_defaults_are_warned_about() {
        let minutes = |m: u64| Some(HumanDuration(std::time::Duration::from_secs(m * 60)));
        assert_eq!(
            checks(ServerSection {
                max_connections: Some(4096),
                header_timeout: minutes(5),
                tunnel_idle_timeout: minutes(60),
                drain: minutes(1),
            }),
            [
                "server.max_connections",
                "server.header_timeout",
                "server.tunnel_idle_timeout"
            ]
        );
        // Tighter than the defaults is not loosening.
        assert!(
            checks(ServerSection {
                max_connections: Some(64),
                header_timeout: Some(HumanDuration(std::time::Duration::from_secs(5))),
                tunnel_idle_timeout: minutes(1),
                drain: None,
            })
            .is_empty()
        );
    }
}
