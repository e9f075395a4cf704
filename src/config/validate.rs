//! Checks that serde cannot express: cross-field rules, name formats, unique
//! names, listener clashes. Each failure names the key path so the error can
//! point at the line.

use std::collections::HashMap;

use super::error::Seg;
use super::schema::*;

/// One validation failure.
#[derive(Debug)]
pub struct Invalid {
    pub path: Vec<Seg>,
    pub message: String,
    pub hint: Option<String>,
}

fn invalid(path: Vec<Seg>, message: impl Into<String>, hint: impl Into<Option<String>>) -> Invalid {
    Invalid {
        path,
        message: message.into(),
        hint: hint.into(),
    }
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

fn at(section: &str, list: &str, index: usize, field: &str) -> Vec<Seg> {
    vec![key(section), key(list), Seg::Index(index), key(field)]
}

pub fn validate(file: &ConfigFile) -> Result<(), Invalid> {
    if let Some(sso) = &file.sso {
        validate_sso(sso)?;
    }
    if let Some(creds) = &file.creds {
        validate_creds(creds)?;
    }
    if let Some(repos) = &file.repos {
        validate_repos(repos)?;
    }
    if let Some(proxy) = &file.proxy {
        validate_proxy(proxy)?;
    }
    if let Some(cache) = &file.cache {
        validate_cache(cache)?;
    }
    if let Some(server) = &file.server {
        validate_server(server)?;
    }
    if let Some(docker) = &file.docker {
        validate_docker(docker)?;
    }
    validate_listeners(file)?;
    validate_allowed_hosts(file)?;
    validate_access(file)?;
    validate_tls(file)
}

/// `tls_cert` and `tls_key` come together, and not with `tls_ca_names`.
fn validate_tls(file: &ConfigFile) -> Result<(), Invalid> {
    for keys in TLS_LISTENERS.into_iter().filter_map(|s| file.tls_keys(s)) {
        let (section, names) = (keys.section, keys.ca_names);
        let problem = match (keys.cert.is_some(), keys.key.is_some(), names.is_empty()) {
            (true, false, _) => Some(("tls_cert", "needs `tls_key` beside it")),
            (false, true, _) => Some(("tls_key", "needs `tls_cert` beside it")),
            (true, true, false) => Some(("tls_ca_names", "can't be set with `tls_cert`")),
            _ => None,
        };
        if let Some((field, message)) = problem {
            return Err(invalid(
                vec![key(section), key(field)],
                message,
                Some("set `tls_cert` and `tls_key` (PEM files), or only `tls_ca_names` for a certificate from awsproxy's CA".to_owned()),
            ));
        }
        for (i, name) in names.iter().enumerate() {
            if let Err(message) = crate::daemon::host::AllowedHost::parse(name).and_then(|_| {
                if name.contains('*') {
                    Err("a wildcard can't be a certificate name here".to_owned())
                } else {
                    Ok(())
                }
            }) {
                return Err(invalid(
                    vec![key(section), key("tls_ca_names"), Seg::Index(i)],
                    message,
                    Some("list the names clients use, like \"awsproxy.corp.example\"".to_owned()),
                ));
            }
        }
    }
    Ok(())
}

/// `allow_clients` entries are networks; `[[access.token]]`s have a unique
/// name, one secret, known listeners and mounts that exist.
fn validate_access(file: &ConfigFile) -> Result<(), Invalid> {
    for section in ACCESS_LISTENERS {
        for (i, entry) in file.allow_clients(section).iter().enumerate() {
            if let Err(message) = super::values::parse_network(entry) {
                return Err(invalid(
                    vec![key(section), key("allow_clients"), Seg::Index(i)],
                    message,
                    Some(
                        "list the client networks this listener serves, like \"10.0.0.0/8\""
                            .to_owned(),
                    ),
                ));
            }
        }
    }
    let Some(access) = &file.access else {
        return Ok(());
    };
    unique_names(
        access.token.iter().map(|t| t.name.as_str()),
        "access",
        "token",
    )?;
    let mounts: Vec<String> = file
        .repos
        .iter()
        .flat_map(|r| {
            let named = |format: &str, names: Vec<&String>| {
                names
                    .into_iter()
                    .map(move |n| format!("{format}/{n}"))
                    .collect::<Vec<_>>()
            };
            let mut all = named("pypi", r.pypi.iter().map(|m| &m.name).collect());
            all.extend(named("npm", r.npm.iter().map(|m| &m.name).collect()));
            all.extend(named("maven", r.maven.iter().map(|m| &m.name).collect()));
            all.extend(named("cargo", r.cargo.iter().map(|m| &m.name).collect()));
            all
        })
        .collect();
    for (i, t) in access.token.iter().enumerate() {
        check_name(&t.name, at("access", "token", i, "name"))?;
        if t.name.contains(':') {
            return Err(invalid(
                at("access", "token", i, "name"),
                "a token name can't hold `:`",
                None,
            ));
        }
        match (&t.token, &t.sha256) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(invalid(
                    at("access", "token", i, "token"),
                    format!("token `{}` needs exactly one of `token` and `sha256`", t.name),
                    Some("`token = \"${file:/run/secrets/awsproxy-ci}\"`, or `sha256` = the hex SHA-256 of the token (`printf %s TOKEN | sha256sum`)".to_owned()),
                ));
            }
            (None, Some(hex)) if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                return Err(invalid(
                    at("access", "token", i, "sha256"),
                    "is not a hex SHA-256 (64 hex digits)",
                    Some("`printf %s TOKEN | sha256sum` prints it".to_owned()),
                ));
            }
            _ => {}
        }
        for (j, l) in t.listeners.iter().flatten().enumerate() {
            if !ACCESS_LISTENERS.contains(&l.as_str()) {
                return Err(invalid(
                    vec![key("access"), key("token"), Seg::Index(i), key("listeners"), Seg::Index(j)],
                    format!("`{l}` is not a listener tokens apply to"),
                    Some("use \"proxy\", \"repos\" or \"metrics\" (the credentials endpoint has its own `[[creds.client]]` tokens)".to_owned()),
                ));
            }
        }
        for (j, m) in t.mounts.iter().flatten().enumerate() {
            if !mounts.contains(m) {
                return Err(invalid(
                    vec![
                        key("access"),
                        key("token"),
                        Seg::Index(i),
                        key("mounts"),
                        Seg::Index(j),
                    ],
                    format!("`{m}` is not a configured mount"),
                    Some(if mounts.is_empty() {
                        "write mounts as FORMAT/NAME of a `[[repos.FORMAT]]` mount; none is configured".to_owned()
                    } else {
                        format!("write mounts as FORMAT/NAME: {}", mounts.join(", "))
                    }),
                ));
            }
        }
    }
    Ok(())
}

/// `[docker]`: registry hosts as Docker names them, each once; a name that is
/// not an ECR host says which region's registry it stands for.
fn validate_docker(docker: &DockerSection) -> Result<(), Invalid> {
    if docker
        .profile
        .as_deref()
        .is_some_and(|p| p.trim().is_empty())
    {
        return Err(invalid(
            vec![key("docker"), key("profile")],
            "the profile name is empty",
            None,
        ));
    }
    for (i, r) in docker.registry.iter().enumerate() {
        if let Some(first) = docker.registry[..i].iter().position(|o| o.host == r.host) {
            return Err(invalid(
                at("docker", "registry", i, "host"),
                format!(
                    "`{}` is already configured in docker.registry[{first}]",
                    r.host
                ),
                Some("each registry host appears once".to_owned()),
            ));
        }
        let example = "use `ACCOUNT.dkr.ecr.REGION.amazonaws.com` or `public.ecr.aws`".to_owned();
        match crate::ecr::parse_server_url(&r.host) {
            Ok(host) if host == r.host => {}
            Ok(host) => {
                return Err(invalid(
                    at("docker", "registry", i, "host"),
                    format!("`{}` is not written as Docker names it", r.host),
                    Some(format!("write the bare host in lower case: `{host}`")),
                ));
            }
            Err(e) => {
                return Err(invalid(
                    at("docker", "registry", i, "host"),
                    e.why,
                    Some(example),
                ));
            }
        }
        if r.profile.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(invalid(
                at("docker", "registry", i, "profile"),
                "the profile name is empty",
                None,
            ));
        }
        match (crate::ecr::classify(&r.host), &r.region) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    at("docker", "registry", i, "region"),
                    format!("`{}` names its region itself", r.host),
                    Some(
                        "remove `region`: it is only for a host that is not an ECR name".to_owned(),
                    ),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    at("docker", "registry", i, "host"),
                    format!("`{}` is not an ECR registry host", r.host),
                    Some(format!(
                        "{example}; for another name of an ECR registry (a mirror), also set `region`"
                    )),
                ));
            }
            (None, Some(region)) if !valid_region(region) => {
                return Err(invalid(
                    at("docker", "registry", i, "region"),
                    format!("`{region}` is not an AWS region name"),
                    Some("for example `us-east-1`".to_owned()),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn valid_region(region: &str) -> bool {
    region.contains('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `[server]`: limits that still protect the process at their extremes.
fn validate_server(server: &ServerSection) -> Result<(), Invalid> {
    use std::time::Duration;
    if let Some(n) = server.max_connections
        && !(1..=MAX_CONNECTIONS_LIMIT).contains(&n)
    {
        return Err(invalid(
            vec![key("server"), key("max_connections")],
            format!("{n} is out of range"),
            Some(format!("use 1 to {MAX_CONNECTIONS_LIMIT}")),
        ));
    }
    for (field, value, max, max_text) in [
        (
            "header_timeout",
            server.header_timeout,
            Duration::from_secs(10 * 60),
            "10m",
        ),
        (
            "tunnel_idle_timeout",
            server.tunnel_idle_timeout,
            Duration::from_secs(24 * 3600),
            "24h",
        ),
    ] {
        if let Some(d) = value
            && !(Duration::from_secs(1)..=max).contains(&d.0)
        {
            return Err(invalid(
                vec![key("server"), key(field)],
                format!("{d} is out of range"),
                Some(format!("use a duration from \"1s\" to \"{max_text}\"")),
            ));
        }
    }
    if let Some(d) = server.drain
        && d.0 > MAX_DRAIN
    {
        return Err(invalid(
            vec![key("server"), key("drain")],
            format!("{d} is out of range"),
            Some("use a duration from \"0s\" to \"5m\"".to_owned()),
        ));
    }
    Ok(())
}

/// The longest `[server] drain`: orchestrators kill a pod that takes longer
/// than its grace period (30s by default in Kubernetes) anyway.
const MAX_DRAIN: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The largest `[server] max_connections`.
const MAX_CONNECTIONS_LIMIT: usize = 1_000_000;

fn validate_sso(sso: &SsoSection) -> Result<(), Invalid> {
    let ahead = sso.refresh_ahead.0.as_secs();
    if !(60..=8 * 3600).contains(&ahead) {
        return Err(invalid(
            vec![key("sso"), key("refresh_ahead")],
            format!("{} is out of range", sso.refresh_ahead),
            Some("use between 1m and 8h; the default 20m refreshes before botocore's 15-minute window".to_owned()),
        ));
    }
    for (i, name) in sso.sessions.iter().flatten().enumerate() {
        if name.trim().is_empty() {
            return Err(invalid(
                vec![key("sso"), key("sessions"), Seg::Index(i)],
                "session names cannot be empty",
                None,
            ));
        }
    }
    Ok(())
}

fn validate_creds(creds: &CredsSection) -> Result<(), Invalid> {
    let ahead = creds.refresh_ahead.0.as_secs();
    if !(16 * 60..=11 * 3600).contains(&ahead) {
        return Err(invalid(
            vec![key("creds"), key("refresh_ahead")],
            format!("{} is out of range", creds.refresh_ahead),
            Some("use between 16m and 11h: SDKs refetch credentials with 15 minutes left, so awsproxy must refresh earlier".to_owned()),
        ));
    }
    validate_creds_clients(&creds.client, "creds")?;
    for (i, c) in creds.client.iter().enumerate() {
        if let Some(d) = c.duration
            && d.0 <= creds.refresh_ahead.0
        {
            return Err(invalid(
                at("creds", "client", i, "duration"),
                format!(
                    "a {d} role session is never fresher than `refresh_ahead` ({})",
                    creds.refresh_ahead
                ),
                Some("make `duration` longer than `[creds] refresh_ahead` (1h is the default), or every request fetches new credentials".to_owned()),
            ));
        }
    }
    Ok(())
}

/// The `[[creds.client]]` rules; `section` is `creds` in the config file and empty in
/// a `clients_dir` file (whose tables are plain `[[client]]`).
pub fn validate_creds_clients(clients: &[CredsClient], section: &str) -> Result<(), Invalid> {
    validate_clients_inner(clients).map_err(|mut e| {
        if section.is_empty() && e.path.first() == Some(&key("creds")) {
            e.path.remove(0);
            e.message = e.message.replace("creds.client[", "client[");
        }
        e
    })
}

fn validate_clients_inner(clients: &[CredsClient]) -> Result<(), Invalid> {
    let creds = CredsSection {
        client: clients.to_vec(),
        ..CredsSection::default()
    };
    unique_names(
        creds.client.iter().map(|c| c.name.as_str()),
        "creds",
        "client",
    )?;
    for (i, c) in creds.client.iter().enumerate() {
        check_name(&c.name, at("creds", "client", i, "name"))?;
        match (&c.token, &c.token_file) {
            (None, None) => {
                return Err(invalid(
                    at("creds", "client", i, "name"),
                    format!("client `{}` has no token", c.name),
                    Some("set `token = \"${env:NAME}\"` or `token_file = \"/path\"`: the endpoint never serves a client without one".to_owned()),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    at("creds", "client", i, "token_file"),
                    "set either `token` or `token_file`, not both",
                    None,
                ));
            }
            _ => {}
        }
        if c.access_key_id.is_some() != c.secret_access_key.is_some() {
            let missing = if c.access_key_id.is_some() {
                "secret_access_key"
            } else {
                "access_key_id"
            };
            return Err(invalid(
                at("creds", "client", i, missing),
                format!("`{missing}` is missing"),
                Some("static keys need both `access_key_id` and `secret_access_key`".to_owned()),
            ));
        }
        if c.session_token.is_some() && c.access_key_id.is_none() {
            return Err(invalid(
                at("creds", "client", i, "session_token"),
                "`session_token` needs `access_key_id` and `secret_access_key`",
                None,
            ));
        }
        if c.profile.is_some() && c.access_key_id.is_some() {
            return Err(invalid(
                at("creds", "client", i, "profile"),
                "set either `profile` or static keys, not both",
                None,
            ));
        }
        if let Some(arn) = &c.role_arn {
            check_role_arn(arn, at("creds", "client", i, "role_arn"))?;
        } else {
            for field in ["role_session_name", "external_id", "duration"] {
                let set = match field {
                    "role_session_name" => c.role_session_name.is_some(),
                    "external_id" => c.external_id.is_some(),
                    _ => c.duration.is_some(),
                };
                if set {
                    return Err(invalid(
                        at("creds", "client", i, field),
                        format!("`{field}` only applies with `role_arn`"),
                        None,
                    ));
                }
            }
        }
        if let Some(d) = c.duration
            && !(900..=43200).contains(&d.0.as_secs())
        {
            return Err(invalid(
                at("creds", "client", i, "duration"),
                format!("{d} is out of range"),
                Some("STS accepts between 15m and 12h".to_owned()),
            ));
        }
        if let Some(region) = &c.region {
            check_region(region, at("creds", "client", i, "region"))?;
        }
    }
    Ok(())
}

/// A `[[repos.maven]]` mount without `bucket`: a CodeArtifact one, which
/// needs `domain`, `domain_owner` and `repository` and takes none of the S3
/// keys.
fn check_maven_codeartifact(m: &MavenMount, at: impl Fn(&str) -> Vec<Seg>) -> Result<(), Invalid> {
    let (Some(_), Some(owner), Some(_)) = (&m.domain, &m.domain_owner, &m.repository) else {
        let missing = [
            ("domain", m.domain.is_none()),
            ("domain_owner", m.domain_owner.is_none()),
            ("repository", m.repository.is_none()),
        ]
        .into_iter()
        .find(|(_, absent)| *absent)
        .map_or("domain", |(k, _)| k);
        return Err(invalid(
            at(if m.domain.is_none() { "name" } else { "domain" }),
            if m.domain.is_none() {
                "a Maven mount needs `bucket` (an S3 mount) or `domain`, `domain_owner` and `repository` (a CodeArtifact mount)".to_owned()
            } else {
                format!("a CodeArtifact Maven mount needs `{missing}`")
            },
            None,
        ));
    };
    for (key, set) in [
        ("prefix", !m.prefix.is_empty()),
        ("force_path_style", m.force_path_style),
        ("upstream", m.upstream.is_some()),
        ("write_back", m.write_back),
    ] {
        if set {
            return Err(invalid(
                at(key),
                format!("`{key}` is for S3 Maven mounts; this one is served from CodeArtifact"),
                Some(
                    "give the CodeArtifact repository an upstream (e.g. maven-central-store) instead of `upstream`"
                        .to_owned(),
                ),
            ));
        }
    }
    check_codeartifact(owner, m.region.as_deref(), m.endpoint.as_deref(), at)
}

/// The CodeArtifact keys every format's mount has.
fn check_codeartifact(
    domain_owner: &str,
    region: Option<&str>,
    endpoint: Option<&str>,
    at: impl Fn(&str) -> Vec<Seg>,
) -> Result<(), Invalid> {
    if domain_owner.len() != 12 || !domain_owner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            at("domain_owner"),
            format!("`{domain_owner}` is not a 12-digit AWS account id"),
            None,
        ));
    }
    if let Some(region) = region {
        check_region(region, at("region"))?;
    }
    if let Some(endpoint) = endpoint {
        check_url(endpoint, at("endpoint"))?;
    }
    Ok(())
}

/// A mount's public fallback: its URL (`index` is the key and its value) is
/// an http(s) URL, and the allow/deny lists only go with `fallback = "missing"`.
fn check_fallback(
    fallback: Fallback,
    allow: &[String],
    deny: &[String],
    index: (&str, Option<&str>),
    at: impl Fn(&str) -> Vec<Seg>,
) -> Result<(), Invalid> {
    if let (field, Some(url)) = index {
        check_url(url, at(field))?;
    }
    if fallback == Fallback::Off {
        for (field, list) in [("fallback_allow", allow), ("fallback_deny", deny)] {
            if !list.is_empty() {
                return Err(invalid(
                    at(field),
                    format!("`{field}` has no effect while `fallback` is off"),
                    Some("set `fallback = \"missing\"` or remove it".to_owned()),
                ));
            }
        }
    }
    Ok(())
}

fn validate_repos(repos: &ReposSection) -> Result<(), Invalid> {
    unique_names(repos.pypi.iter().map(|m| m.name.as_str()), "repos", "pypi")?;
    unique_names(
        repos.maven.iter().map(|m| m.name.as_str()),
        "repos",
        "maven",
    )?;
    unique_names(repos.npm.iter().map(|m| m.name.as_str()), "repos", "npm")?;
    unique_names(
        repos.cargo.iter().map(|m| m.name.as_str()),
        "repos",
        "cargo",
    )?;
    for (i, m) in repos.pypi.iter().enumerate() {
        let at = |field: &str| at("repos", "pypi", i, field);
        check_name(&m.name, at("name"))?;
        check_codeartifact(
            &m.domain_owner,
            m.region.as_deref(),
            m.endpoint.as_deref(),
            at,
        )?;
        check_fallback(
            m.fallback,
            &m.fallback_allow,
            &m.fallback_deny,
            ("fallback_index", m.fallback_index.as_deref()),
            at,
        )?;
    }
    for (i, m) in repos.npm.iter().enumerate() {
        let at = |field: &str| at("repos", "npm", i, field);
        check_name(&m.name, at("name"))?;
        check_codeartifact(
            &m.domain_owner,
            m.region.as_deref(),
            m.endpoint.as_deref(),
            at,
        )?;
        check_fallback(
            m.fallback,
            &m.fallback_allow,
            &m.fallback_deny,
            ("fallback_registry", m.fallback_registry.as_deref()),
            at,
        )?;
    }
    for (i, m) in repos.cargo.iter().enumerate() {
        let at = |field: &str| at("repos", "cargo", i, field);
        check_name(&m.name, at("name"))?;
        check_codeartifact(
            &m.domain_owner,
            m.region.as_deref(),
            m.endpoint.as_deref(),
            at,
        )?;
        check_fallback(
            m.fallback,
            &m.fallback_allow,
            &m.fallback_deny,
            ("fallback_index", m.fallback_index.as_deref()),
            at,
        )?;
    }
    for (i, m) in repos.maven.iter().enumerate() {
        check_name(&m.name, at("repos", "maven", i, "name"))?;
        let Some(bucket) = &m.bucket else {
            check_maven_codeartifact(m, |field: &str| at("repos", "maven", i, field))?;
            continue;
        };
        if m.domain.is_some() {
            return Err(invalid(
                at("repos", "maven", i, "domain"),
                "a Maven mount has either `bucket` (S3) or `domain` (CodeArtifact), not both",
                None,
            ));
        }
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(invalid(
                at("repos", "maven", i, "bucket"),
                format!("`{bucket}` is not a valid S3 bucket name"),
                Some(
                    "bucket names are 3-63 lowercase letters, digits, dots and hyphens".to_owned(),
                ),
            ));
        }
        if m.prefix.split('/').any(|s| s == ".." || s == ".") || m.prefix.contains('\\') {
            return Err(invalid(
                at("repos", "maven", i, "prefix"),
                "the prefix cannot contain `.`, `..` or backslashes",
                None,
            ));
        }
        if let Some(region) = &m.region {
            check_region(region, at("repos", "maven", i, "region"))?;
        }
        for (field, value) in [("endpoint", &m.endpoint), ("upstream", &m.upstream)] {
            if let Some(url) = value {
                check_url(url, at("repos", "maven", i, field))?;
            }
        }
        if m.write_back && m.upstream.is_none() {
            return Err(invalid(
                at("repos", "maven", i, "write_back"),
                "`write_back` needs `upstream`",
                None,
            ));
        }
    }
    Ok(())
}

fn validate_proxy(proxy: &ProxySection) -> Result<(), Invalid> {
    if let Some(url) = &proxy.upstream_proxy {
        check_url(url, vec![key("proxy"), key("upstream_proxy")])?;
        if url.starts_with("https:") {
            return Err(invalid(
                vec![key("proxy"), key("upstream_proxy")],
                "awsproxy reaches upstream proxies over plain HTTP (CONNECT), not HTTPS",
                Some("write it as \"http://host:port\"".to_owned()),
            ));
        }
    }
    for (i, rule) in proxy.rule.iter().enumerate() {
        if rule.path.is_some() && rule.path_regex.is_some() {
            return Err(invalid(
                at("proxy", "rule", i, "path_regex"),
                "set either `path` or `path_regex`, not both",
                None,
            ));
        }
        if let Err(message) = crate::cache::rules::Rule::compile(rule) {
            let field = if rule.path.is_some() {
                "path"
            } else if rule.path_regex.is_some() {
                "path_regex"
            } else {
                "host"
            };
            return Err(invalid(at("proxy", "rule", i, field), message, None));
        }
        for m in &rule.method {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(invalid(
                    at("proxy", "rule", i, "method"),
                    format!("`{m}` is not an HTTP method"),
                    Some("write methods in capitals, like \"GET\"".to_owned()),
                ));
            }
        }
    }
    Ok(())
}

/// Bytes of `[cache] hmac_key` at least (a base64 line of 32 random bytes is 44).
pub const MIN_HMAC_KEY_LEN: usize = 32;

fn validate_cache(cache: &CacheSection) -> Result<(), Invalid> {
    if cache.store == StoreKind::S3 && cache.s3.is_none() {
        return Err(invalid(
            vec![key("cache"), key("store")],
            "`store = \"s3\"` needs a `[cache.s3]` section",
            Some("add `[cache.s3]` with at least `bucket = \"...\"`".to_owned()),
        ));
    }
    if let Some(size) = cache.max_size
        && size.0 < 1 << 20
    {
        return Err(invalid(
            vec![key("cache"), key("max_size")],
            format!("{size} is too small"),
            Some("use at least 1MiB".to_owned()),
        ));
    }
    if let Some(size) = cache.local_size
        && size.0 > 0
        && size.0 < 1 << 20
    {
        return Err(invalid(
            vec![key("cache"), key("local_size")],
            format!("{size} is too small for a local tier"),
            Some("use at least 1MiB, or remove it (no local tier)".to_owned()),
        ));
    }
    if let Some(size) = cache.memory_size
        && size.0 > 4 << 30
    {
        return Err(invalid(
            vec![key("cache"), key("memory_size")],
            format!("{size} of memory per service is more than this tier is for"),
            Some(
                "small hot entries need a few MiB to a few hundred MiB; \"0\" turns it off"
                    .to_owned(),
            ),
        ));
    }
    if let Some(hmac_key) = &cache.hmac_key
        && hmac_key.0.expose().len() < MIN_HMAC_KEY_LEN
    {
        return Err(invalid(
            vec![key("cache"), key("hmac_key")],
            format!(
                "the key is {} bytes long; it needs at least {MIN_HMAC_KEY_LEN}",
                hmac_key.0.expose().len()
            ),
            Some(
                "make one with `head -c 32 /dev/urandom | base64 > ~/.config/awsproxy/cache.key` \
                 (then `chmod 600` it and share it with the team)"
                    .to_owned(),
            ),
        ));
    }
    if let Some(s3) = &cache.s3 {
        let bucket_ok = (3..=63).contains(&s3.bucket.len())
            && s3
                .bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(invalid(
                vec![key("cache"), key("s3"), key("bucket")],
                format!("`{}` is not a valid S3 bucket name", s3.bucket),
                Some(
                    "bucket names are 3-63 lowercase letters, digits, dots and hyphens".to_owned(),
                ),
            ));
        }
        if let Some(endpoint) = &s3.endpoint {
            check_url(endpoint, vec![key("cache"), key("s3"), key("endpoint")])?;
        }
        if let Some(region) = &s3.region {
            check_region(region, vec![key("cache"), key("s3"), key("region")])?;
        }
    }
    Ok(())
}

/// Two services cannot share one socket (port 0 means "any free port" and never clashes).
fn validate_listeners(file: &ConfigFile) -> Result<(), Invalid> {
    let listeners = [
        ("creds", file.creds.as_ref().map(|s| s.listen)),
        ("repos", file.repos.as_ref().map(|s| s.listen)),
        ("proxy", file.proxy.as_ref().map(|s| s.listen)),
        ("metrics", file.metrics.as_ref().map(|s| s.listen)),
    ];
    let mut seen: HashMap<std::net::SocketAddr, &str> = HashMap::new();
    for (section, addr) in listeners {
        let Some(addr) = addr else { continue };
        if addr.0.port() == 0 {
            continue;
        }
        if let Some(other) = seen.insert(addr.0, section) {
            return Err(invalid(
                vec![key(section), key("listen")],
                format!("{addr} is also `[{other}] listen`"),
                Some("give each service its own port".to_owned()),
            ));
        }
    }
    Ok(())
}

/// `allowed_hosts` entries are names, `*.suffix` patterns or IP addresses, without ports.
fn validate_allowed_hosts(file: &ConfigFile) -> Result<(), Invalid> {
    let allowed_hosts = [
        ("creds", file.creds.as_ref().map(|s| &s.allowed_hosts)),
        ("repos", file.repos.as_ref().map(|s| &s.allowed_hosts)),
        ("metrics", file.metrics.as_ref().map(|s| &s.allowed_hosts)),
    ];
    for (section, hosts) in allowed_hosts {
        for (i, entry) in hosts.into_iter().flatten().enumerate() {
            if let Err(message) = crate::daemon::host::AllowedHost::parse(entry) {
                return Err(invalid(
                    vec![key(section), key("allowed_hosts"), Seg::Index(i)],
                    message,
                    Some("list the names clients use for this listener, like \"awsproxy.corp.example\" or \"*.corp.example\"".to_owned()),
                ));
            }
        }
    }
    Ok(())
}

fn unique_names<'a>(
    names: impl Iterator<Item = &'a str>,
    section: &str,
    list: &str,
) -> Result<(), Invalid> {
    let mut seen = HashMap::new();
    for (i, name) in names.enumerate() {
        if let Some(first) = seen.insert(name, i) {
            return Err(invalid(
                at(section, list, i, "name"),
                format!("name `{name}` is already used by {section}.{list}[{first}]"),
                Some("names must be unique".to_owned()),
            ));
        }
    }
    Ok(())
}

fn check_name(name: &str, path: Vec<Seg>) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("`{name}` is not a valid name"),
            Some(
                "use letters, digits, `-`, `_` and `.` (it becomes part of URLs and metric labels)"
                    .to_owned(),
            ),
        ))
    }
}

fn check_region(region: &str, path: Vec<Seg>) -> Result<(), Invalid> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("`{region}` is not an AWS region"),
            Some("regions look like \"us-east-1\" or \"eu-central-1\"".to_owned()),
        ))
    }
}

fn check_role_arn(arn: &str, path: Vec<Seg>) -> Result<(), Invalid> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok =
        parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5].starts_with("role/");
    if ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("`{arn}` is not an IAM role ARN"),
            Some("role ARNs look like \"arn:aws:iam::123456789012:role/NAME\"".to_owned()),
        ))
    }
}

fn check_url(raw: &str, path: Vec<Seg>) -> Result<(), Invalid> {
    match url::Url::parse(raw) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => Ok(()),
        Ok(u) => Err(invalid(
            path,
            format!("`{raw}` is not an http(s) URL (scheme `{}`)", u.scheme()),
            None,
        )),
        Err(e) => Err(invalid(
            path,
            format!("`{raw}` is not a URL: {e}"),
            Some("write a full URL like \"https://host:port/path/\"".to_owned()),
        )),
    }
}
