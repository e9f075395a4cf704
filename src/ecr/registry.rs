//! Registry names, pure: the server URL a Docker client hands a credential
//! helper (`https://HOST/…` or a bare `HOST[:PORT]`), parsed strictly into a
//! host, and what an ECR host says about its registry.
//!
//! | host | registry |
//! |---|---|
//! | `ACCOUNT.dkr.ecr.REGION.amazonaws.com` | ECR private |
//! | `ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com` | ECR private, FIPS endpoint |
//! | `ACCOUNT.dkr.ecr.REGION.amazonaws.com.cn` | ECR private, China |
//! | `public.ecr.aws` | ECR Public (its API lives in us-east-1) |

/// The region of ECR Public's API.
pub const PUBLIC_REGION: &str = "us-east-1";

/// The host of ECR Public.
pub const PUBLIC_HOST: &str = "public.ecr.aws";

/// Which registry a host is, as far as the token goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryKind {
    /// An account's private registry in one region (`account` is empty for
    /// a configured name that is not an ECR host).
    Private {
        account: String,
        region: String,
        fips: bool,
    },
    /// ECR Public.
    Public,
}

impl RegistryKind {
    /// The region whose API issues the token.
    pub fn region(&self) -> &str {
        match self {
            RegistryKind::Private { region, .. } => region,
            RegistryKind::Public => PUBLIC_REGION,
        }
    }
}

/// Why a server URL is not a registry host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a registry host: {why}")]
pub struct BadServerUrl {
    pub input: String,
    pub why: &'static str,
}

/// The host (lower-cased, with its port if it has one) of a server URL:
/// `HOST[:PORT]`, optionally after `https://` or `http://` and before a path.
/// Anything else (user info, a query, spaces, an empty or malformed host) is refused.
pub fn parse_server_url(input: &str) -> Result<String, BadServerUrl> {
    let text = input.trim_matches(|c: char| c.is_ascii_whitespace());
    // User info is a password: never echoed.
    let shown = match text.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => text.to_owned(),
    };
    let bad = |why| BadServerUrl {
        input: shown.escape_debug().take(200).collect(),
        why,
    };
    let rest = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => return Err(bad("only https:// and http:// URLs name a registry")),
        None => text,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if path.contains(['?', '#']) || authority.contains(['?', '#']) {
        return Err(bad("a registry URL has no query or fragment"));
    }
    if authority.contains('@') {
        return Err(bad("a registry URL carries no user name or password"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("the path has spaces or control characters"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("the port is not a number"));
    }
    check_host(host).map_err(bad)?;
    let host = host.to_ascii_lowercase();
    Ok(match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// A DNS name (or IPv4 address): labels of letters, digits and `-`, not
/// starting or ending with `-`, at most 253 characters.
fn check_host(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("the host is empty");
    }
    if host.len() > 253 {
        return Err("the host is too long");
    }
    for label in host.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("the host has an empty or overlong label");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("the host has characters a DNS name cannot have");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label of the host starts or ends with `-`");
        }
    }
    Ok(())
}

/// What an ECR host (as [`parse_server_url`] returns it) names; `None` for
/// any other host. A port is never part of an ECR host.
pub fn classify(host: &str) -> Option<RegistryKind> {
    if host == PUBLIC_HOST {
        return Some(RegistryKind::Public);
    }
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (service, rest) = rest.split_once('.')?;
    let rest = rest.strip_prefix("ecr")?;
    let (fips, rest) = match rest.strip_prefix("-fips") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.strip_prefix('.')?;
    if service != "dkr" {
        return None;
    }
    let (region, domain) = rest.split_once('.')?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region.contains('-');
    let domain_ok = match domain {
        "amazonaws.com" => !region.starts_with("cn-"),
        "amazonaws.com.cn" => region.starts_with("cn-"),
        _ => false,
    };
    (region_ok && domain_ok).then(|| RegistryKind::Private {
        account: account.to_owned(),
        region: region.to_owned(),
        fips,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_parse_to_their_host() {
        for (input, host) in [
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            ),
            (
                "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            ),
            (
                "HTTPS://123456789012.DKR.ECR.eu-west-1.amazonaws.com/v2/\n",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            ),
            ("public.ecr.aws", "public.ecr.aws"),
            ("http://127.0.0.1:5000/", "127.0.0.1:5000"),
            ("registry.example:443", "registry.example:443"),
        ] {
            assert_eq!(parse_server_url(input).as_deref(), Ok(host), "{input}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for input in [
            "",
            "   ",
            "ftp://public.ecr.aws",
            "https://user:pw@public.ecr.aws",
            "public.ecr.aws?x=1",
            "https://public.ecr.aws/v2/#frag",
            "public ecr.aws",
            "public..ecr.aws",
            "-public.ecr.aws",
            "public.ecr.aws:",
            "public.ecr.aws:http",
            "public.ecr.aws:123456",
            "https://",
            "{\"ServerURL\": \"public.ecr.aws\"}",
            "[::1]:5000",
        ] {
            assert!(parse_server_url(input).is_err(), "{input:?} was accepted");
        }
        let err = parse_server_url("https://u:secret@public.ecr.aws").unwrap_err();
        assert!(err.to_string().contains("user name"), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn ecr_hosts_name_their_registry() {
        assert_eq!(
            classify("123456789012.dkr.ecr.us-west-2.amazonaws.com"),
            Some(RegistryKind::Private {
                account: "123456789012".into(),
                region: "us-west-2".into(),
                fips: false
            })
        );
        assert_eq!(
            classify("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"),
            Some(RegistryKind::Private {
                account: "123456789012".into(),
                region: "us-gov-west-1".into(),
                fips: true
            })
        );
        assert_eq!(
            classify("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")
                .unwrap()
                .region(),
            "cn-north-1"
        );
        assert_eq!(classify("public.ecr.aws"), Some(RegistryKind::Public));
        assert_eq!(RegistryKind::Public.region(), "us-east-1");
        for other in [
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
            "123456789012.api.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecrx.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.cn",
            "123456789012.dkr.ecr.useast1.amazonaws.com",
            "evil.public.ecr.aws",
            "docker.io",
            "127.0.0.1:5000",
        ] {
            assert_eq!(classify(other), None, "{other}");
        }
    }
}
