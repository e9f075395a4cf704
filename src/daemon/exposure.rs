//! Which addresses a listener may bind. Without access control, whoever
//! reaches a listener uses it as the user would (the forward proxy, the
//! private repositories, the status page; the credentials endpoint still
//! wants each client's token). So `serve` and `creds serve` refuse a listener
//! that is not on loopback unless it has access control ([`super::access`]:
//! `allow_clients`, `[[access.token]]`s) or its section says
//! `allow_non_loopback = true` (a firewall decides who reaches it). The
//! credentials endpoint may also use the ECS link-local addresses
//! ([`super::host::ECS_ADDRESSES`]) without either: they are what containers
//! are told to call, and they are not routed off the link.

use std::net::SocketAddr;

use crate::config::{ConfigFile, ConfigSource};
use crate::error::Error;

/// One listener of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// The section, as in `proxy`.
    pub section: &'static str,
    pub addr: SocketAddr,
    /// The section's `allow_non_loopback`.
    pub allowed: bool,
    /// `allow_clients` or a token applies to it ([`super::access`]).
    pub controlled: bool,
    /// It speaks TLS (`tls_cert` or `tls_ca_names`).
    pub tls: bool,
}

impl Listen {
    /// Whether the address is one only this machine (or, for the ECS
    /// addresses, its containers' link) can reach.
    pub fn is_local(&self) -> bool {
        let ip = self.addr.ip().to_canonical();
        ip.is_loopback() || (self.section == "creds" && super::host::ECS_ADDRESSES.contains(&ip))
    }
}

/// Every listener `file` configures.
pub fn listens(file: &ConfigFile) -> Vec<Listen> {
    let listen = |section, addr: Option<(SocketAddr, bool)>| {
        addr.map(|(addr, allowed)| Listen {
            section,
            addr,
            allowed,
            controlled: super::access::Access::resolve(file, section).is_configured(),
            tls: tls_of(file, section),
        })
    };
    [
        listen(
            "proxy",
            file.proxy
                .as_ref()
                .map(|s| (s.listen.0, s.allow_non_loopback)),
        ),
        listen(
            "repos",
            file.repos
                .as_ref()
                .map(|s| (s.listen.0, s.allow_non_loopback)),
        ),
        listen(
            "creds",
            file.creds
                .as_ref()
                .map(|s| (s.listen.0, s.allow_non_loopback)),
        ),
        listen(
            "metrics",
            file.metrics
                .as_ref()
                .map(|s| (s.listen.0, s.allow_non_loopback)),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Does `section`'s listener speak TLS?
pub fn tls_of(file: &ConfigFile, section: &'static str) -> bool {
    file.tls_keys(section).is_some_and(|k| k.is_on())
}

/// Refuses the first listener of `file` that is off loopback without its
/// section's consent. `source` is where the file came from (flags and
/// `AWSPROXY_*` variables may have moved the address since).
pub fn refuse_exposed(file: &ConfigFile, source: &ConfigSource) -> Result<(), Error> {
    match listens(file)
        .into_iter()
        .find(|l| !l.is_local() && !l.allowed && !l.controlled)
    {
        None => Ok(()),
        Some(l) => Err(refusal(&l, source)),
    }
}

fn refusal(l: &Listen, source: &ConfigSource) -> Error {
    let section = l.section;
    let flag = match section {
        "creds" => "--creds-listen (`creds serve --listen`), AWSPROXY_CREDS_LISTEN",
        "proxy" => "--proxy-listen, AWSPROXY_PROXY_LISTEN",
        "repos" => "--repos-listen, AWSPROXY_REPOS_LISTEN",
        _ => "--metrics-listen, AWSPROXY_METRICS_LISTEN",
    };
    Error::Usage {
        message: format!(
            "`[{section}] listen` is {}, which is not a loopback address (configuration: {source}; {flag} override it)",
            l.addr
        ),
        hint: Some(if section == "creds" {
            format!(
                "anyone who can reach port {} there could try client tokens. Listen on 127.0.0.1 or the ECS address 169.254.170.2, \
                 or set `allow_non_loopback = true` in `[creds]` where a firewall or network policy decides who reaches it",
                l.addr.port()
            )
        } else {
            format!(
                "anyone who can reach port {} there would use it as you. Listen on 127.0.0.1, or give it access control: \
                 `allow_clients = [\"10.0.0.0/8\"]` in `[{section}]` and/or `[[access.token]]` entries (see the README's \
                 \"Sharing awsproxy with a team\" section); or, where a firewall or network policy decides who reaches it, \
                 set `allow_non_loopback = true` in `[{section}]`",
                l.addr.port()
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(toml: &str) -> ConfigFile {
        crate::config::parse(toml, &ConfigSource::EmbeddedDefault).unwrap()
    }

    #[test]
    fn loopback_is_fine_anything_else_needs_consent() {
        for ok in [
            "[proxy]\nlisten = \"127.0.0.1:3128\"\n[repos]\nlisten = \"[::1]:9000\"\n",
            "[metrics]\nlisten = \"127.0.0.2:0\"\n",
            "[creds]\nlisten = \"169.254.170.2:80\"\n",
            "[creds]\nlisten = \"[fd00:ec2::23]:80\"\n",
            "[repos]\nlisten = \"0.0.0.0:9000\"\nallow_non_loopback = true\n",
            "[repos]\nlisten = \"0.0.0.0:9000\"\nallow_clients = [\"10.0.0.0/8\"]\n",
            "[proxy]\nlisten = \"0.0.0.0:3128\"\n[[access.token]]\nname = \"ci\"\ntoken = \"t\"\nlisteners = [\"proxy\"]\n",
        ] {
            assert!(
                refuse_exposed(&file(ok), &ConfigSource::EmbeddedDefault).is_ok(),
                "{ok}"
            );
        }
        for (bad, key) in [
            ("[proxy]\nlisten = \"0.0.0.0:3128\"\n", "`[proxy] listen`"),
            ("[repos]\nlisten = \"[::]:9000\"\n", "`[repos] listen`"),
            (
                "[metrics]\nlisten = \"192.168.1.5:9464\"\n",
                "`[metrics] listen`",
            ),
            (
                "[repos]\nlisten = \"169.254.170.2:80\"\n",
                "`[repos] listen`",
            ),
            (
                "[creds]\nlisten = \"0.0.0.0:1338\"\n[metrics]\nlisten = \"0.0.0.0:0\"\nallow_non_loopback = true\n",
                "`[creds] listen`",
            ),
            (
                "[proxy]\nlisten = \"0.0.0.0:3128\"\n[[access.token]]\nname = \"ci\"\ntoken = \"t\"\nlisteners = [\"repos\"]\n",
                "`[proxy] listen`",
            ),
        ] {
            let err = refuse_exposed(&file(bad), &ConfigSource::File("/etc/awsproxy.toml".into()))
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(key) && text.contains("/etc/awsproxy.toml"),
                "{text}"
            );
            assert!(err.hint().unwrap().contains("allow_non_loopback = true"));
            assert_eq!(err.exit_status(), crate::error::ExitStatus::Usage);
        }
    }
}
