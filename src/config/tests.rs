//! Unit tests of loading and validation: every error names line, column and key.

use super::*;

fn err(text: &str) -> ConfigError {
    parse(text, &ConfigSource::File("cfg.toml".into())).expect_err("should be rejected")
}

#[test]
fn embedded_default_parses_and_binds_loopback() {
    let config = Config::embedded_default().unwrap();
    let f = &config.file;
    assert!(f.proxy.is_some() && f.repos.is_some() && f.cache.is_some() && f.metrics.is_some());
    assert!(f.sso.is_none() && f.creds.is_none());
    for addr in [
        f.proxy.as_ref().unwrap().listen,
        f.repos.as_ref().unwrap().listen,
        f.metrics.as_ref().unwrap().listen,
    ] {
        assert!(addr.0.ip().is_loopback(), "{addr}");
    }
    assert_eq!(f.cache.as_ref().unwrap().store, StoreKind::Disk);
}

#[test]
fn empty_file_is_valid_and_runs_nothing() {
    let f = parse("", &ConfigSource::EmbeddedDefault).unwrap();
    assert!(f.proxy.is_none() && f.repos.is_none());
}

#[test]
fn unknown_key_names_line_column_key_and_suggestion() {
    let e = err(
        "[creds]\nlisten = \"127.0.0.1:1338\"\n\n[[creds.client]]\nname = \"a\"\ntokne = \"x\"\n",
    );
    assert_eq!((e.line, e.column), (6, 1), "{e}");
    assert_eq!(e.key, "creds.client[0].tokne");
    assert!(e.message.contains("unknown field `tokne`"), "{e}");
    assert!(
        e.hint.as_deref().unwrap().contains("did you mean `token`?"),
        "{:?}",
        e.hint
    );
    assert!(
        e.to_string()
            .starts_with("cfg.toml:6:1: key `creds.client[0].tokne`: "),
        "{e}"
    );
}

#[test]
fn unknown_section_is_rejected() {
    let e = err("[metrcs]\nlisten = \"127.0.0.1:1\"\n");
    assert_eq!(e.key, "metrcs");
    assert_eq!(e.line, 1);
    assert!(e.hint.unwrap().contains("did you mean `metrics`?"));
}

#[test]
fn wrong_type_names_the_key() {
    let e = err("[proxy]\nintercept = \"yes\"\n");
    assert_eq!(e.key, "proxy.intercept");
    assert_eq!((e.line, e.column), (2, 13), "{e}");
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn bad_values_say_what_good_ones_look_like() {
    let e = err("[repos]\nlisten = \"localhost\"\n");
    assert_eq!(e.key, "repos.listen");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("127.0.0.1:9000"), "{e}");

    let e = err("[sso]\nrefresh_ahead = \"soon\"\n");
    assert_eq!(e.key, "sso.refresh_ahead");
    assert!(e.message.contains("20m"), "{e}");

    let e = err("[sso]\nlogin = \"sometimes\"\n");
    assert_eq!(e.key, "sso.login");
    assert!(e.message.contains("notify"), "{e}");

    let e = err("[cache]\nmax_size = \"lots\"\n");
    assert_eq!(e.key, "cache.max_size");
}

#[test]
fn unset_env_reference_names_the_variable_and_key() {
    let e = err(
        "[creds]\n[[creds.client]]\nname = \"a\"\ntoken = \"${env:AWSPROXY_TEST_UNSET_12345}\"\n",
    );
    assert_eq!(e.key, "creds.client[0].token");
    assert_eq!(e.line, 4);
    assert!(e.message.contains("AWSPROXY_TEST_UNSET_12345"), "{e}");
}

#[test]
fn secrets_are_read_from_files_and_never_debug_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tok");
    std::fs::write(&path, "s3cr3t-token\n").unwrap();
    let text = format!(
        "[creds]\n[[creds.client]]\nname = \"a\"\ntoken = \"${{file:{}}}\"\n",
        path.display()
    );
    let f = parse(&text, &ConfigSource::EmbeddedDefault).unwrap();
    let client = &f.creds.unwrap().client[0];
    assert_eq!(client.token.as_ref().unwrap().0.expose(), "s3cr3t-token");
    assert!(!format!("{client:?}").contains("s3cr3t"));
}

#[test]
fn validation_errors_point_at_the_key() {
    let e = err("[creds]\n[[creds.client]]\nname = \"a\"\n");
    assert_eq!(e.key, "creds.client[0].name");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("no token"), "{e}");

    let e = err(
        "[[repos.pypi]]\nname = \"corp\"\ndomain = \"d\"\ndomain_owner = \"12345\"\nrepository = \"r\"\n",
    );
    assert_eq!(e.key, "repos.pypi[0].domain_owner");
    assert_eq!(e.line, 4);

    let e = err(
        "[[repos.maven]]\nname = \"m\"\nbucket = \"B\"\n[[repos.maven]]\nname = \"n\"\nbucket = \"ok-bucket\"\n",
    );
    assert_eq!(e.key, "repos.maven[0].bucket");

    let e = err(
        "[[repos.maven]]\nname = \"m\"\nbucket = \"bucket-a\"\n[[repos.maven]]\nname = \"m\"\nbucket = \"bucket-b\"\n",
    );
    assert_eq!(e.key, "repos.maven[1].name");
    assert_eq!(e.line, 5);

    let e = err("[[repos.maven]]\nname = \"m\"\n");
    assert_eq!(e.key, "repos.maven[0].name");
    assert!(e.message.contains("`bucket`"), "{e}");
    let e = err("[[repos.maven]]\nname = \"m\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\n");
    assert_eq!(e.key, "repos.maven[0].domain");
    assert!(e.message.contains("`repository`"), "{e}");
    let e = err(
        "[[repos.maven]]\nname = \"m\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nupstream = \"https://repo1.maven.org/maven2/\"\n",
    );
    assert_eq!(e.key, "repos.maven[0].upstream");
    let e = err("[[repos.maven]]\nname = \"m\"\nbucket = \"ok-bucket\"\ndomain = \"d\"\n");
    assert_eq!(e.key, "repos.maven[0].domain");
    let e = err(
        "[[repos.npm]]\nname = \"web\"\ndomain = \"d\"\ndomain_owner = \"1\"\nrepository = \"r\"\n",
    );
    assert_eq!(e.key, "repos.npm[0].domain_owner");
    let e = err(
        "[[repos.cargo]]\nname = \"crates\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nfallback_allow = [\"serde\"]\n",
    );
    assert_eq!(e.key, "repos.cargo[0].fallback_allow");

    let e = err("[cache]\nmemory_size = \"8GiB\"\n");
    assert_eq!((e.key.as_str(), e.line), ("cache.memory_size", 2));
    assert!(e.hint.unwrap().contains("\"0\" turns it off"));

    let e = err("[cache]\nstore = \"disk\"\nhmac_key = \"31-bytes-is-one-byte-too-short!\"\n");
    assert_eq!((e.key.as_str(), e.line), ("cache.hmac_key", 3));
    assert!(e.message.contains("at least 32"), "{e}");
    assert!(!e.to_string().contains("too-short"), "{e}");
    assert!(e.hint.unwrap().contains("/dev/urandom"));
    assert!(
        parse(
            &format!("[cache]\nhmac_key = \"{}\"\n", "k".repeat(32)),
            &ConfigSource::EmbeddedDefault
        )
        .is_ok()
    );

    let e = err("[cache]\nstore = \"s3\"\n");
    assert_eq!(e.key, "cache.store");
    assert!(e.hint.unwrap().contains("[cache.s3]"));

    let e = err("[proxy]\nlisten = \"127.0.0.1:7000\"\n[repos]\nlisten = \"127.0.0.1:7000\"\n");
    assert_eq!(e.key, "proxy.listen");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("[repos] listen"), "{e}");
}

#[test]
fn syntax_errors_have_a_position() {
    let e = err("[proxy\nlisten = 1\n");
    assert_eq!(e.line, 1);
    assert!(e.key.is_empty());
}

#[test]
fn missing_explicit_file_is_an_error_but_missing_default_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let e = Config::load(Some(&missing), &missing).unwrap_err();
    assert!(e.message.contains("cannot read"), "{e}");
    let c = Config::load(None, &missing).unwrap();
    assert_eq!(c.source, ConfigSource::EmbeddedDefault);
}

#[test]
fn creds_refresh_ahead_and_role_duration_are_checked() {
    let e = err("[creds]\nrefresh_ahead = \"10m\"\n");
    assert_eq!(e.key, "creds.refresh_ahead");
    assert!(e.hint.unwrap().contains("15 minutes"));
    let e = err(
        "[creds]\n[[creds.client]]\nname = \"a\"\ntoken = \"t\"\nrole_arn = \"arn:aws:iam::123456789012:role/R\"\nduration = \"15m\"\n",
    );
    assert_eq!(e.key, "creds.client[0].duration");
    assert_eq!(e.line, 6);
}

#[test]
fn clients_dir_files_use_client_key_paths() {
    let path = Path::new("clients.d/app.toml");
    let ok = parse_clients_file("[[client]]\nname = \"a\"\ntoken = \"t\"\n", path).unwrap();
    assert_eq!(ok[0].name, "a");
    let e = parse_clients_file("[[client]]\nname = \"a\"\ntoken = \"t\"\nprofile = \"p\"\naccess_key_id = \"k\"\nsecret_access_key = \"s\"\n", path)
        .unwrap_err();
    assert_eq!(e.key, "client[0].profile");
    assert_eq!(e.line, 4);
    let e = parse_clients_file("[[creds.client]]\nname = \"a\"\n", path).unwrap_err();
    assert!(e.message.contains("unknown field"), "{e}");
}

#[test]
fn allow_destinations_entries_are_checked_with_their_position() {
    let f = parse(
        "[proxy]\nallow_destinations = [\"127.0.0.1:8080\", \"10.0.0.0/8\", \"[::1]:3000\", \"*.dev.localhost\"]\n",
        &ConfigSource::EmbeddedDefault,
    )
    .unwrap();
    assert_eq!(f.proxy.unwrap().allow_destinations.len(), 4);
    let e = err("[proxy]\nallow_destinations = [\n  \"10.0.0.0/8\",\n  \"127.1:80\",\n]\n");
    assert_eq!(e.line, 2, "{e}");
    assert_eq!(e.key, "proxy.allow_destinations[1]", "{e}");
    assert!(e.message.contains("dotted-quad"), "{e}");
    let e = err("[proxy]\nallow_destinations = [\"10.0.0.0/40\"]\n");
    assert!(e.message.contains("prefix length"), "{e}");
}

#[test]
fn server_limits_are_bounded() {
    let f = parse(
        "[server]\nmax_connections = 64\nheader_timeout = \"5s\"\ntunnel_idle_timeout = \"1h\"\n",
        &ConfigSource::EmbeddedDefault,
    )
    .unwrap();
    let server = f.server.unwrap();
    assert_eq!(server.max_connections, Some(64));
    assert_eq!(
        server.header_timeout.unwrap().0,
        std::time::Duration::from_secs(5)
    );

    let e = err("[server]\nmax_connections = 0\n");
    assert_eq!(e.key, "server.max_connections");
    let e = err("[server]\nheader_timeout = \"0s\"\n");
    assert_eq!(e.key, "server.header_timeout");
    assert!(e.hint.unwrap().contains("\"10m\""));
    let e = err("[server]\ntunnel_idle_timeout = \"2d\"\n");
    assert_eq!(e.key, "server.tunnel_idle_timeout");
    let f = parse("[server]\ndrain = \"0s\"\n", &ConfigSource::EmbeddedDefault).unwrap();
    assert_eq!(
        f.server.unwrap().drain.unwrap().0,
        std::time::Duration::ZERO
    );
    let e = err("[server]\ndrain = \"10m\"\n");
    assert_eq!(e.key, "server.drain");
    assert!(e.hint.unwrap().contains("\"5m\""));
}

#[test]
fn allowed_hosts_entries_are_names_or_addresses_without_ports() {
    let ok = "[repos]\nallowed_hosts = [\"awsproxy.corp.example\", \"*.corp.example\", \"10.0.0.5\"]\n\
              [metrics]\nallowed_hosts = [\"[fd00::5]\"]\n";
    assert!(parse(ok, &ConfigSource::EmbeddedDefault).is_ok());
    let e = err("[metrics]\nallowed_hosts = [\"ok.example\", \"awsproxy.corp.example:9464\"]\n");
    assert_eq!(e.key, "metrics.allowed_hosts[1]", "{e}");
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("port"), "{e}");
    let e = err("[creds]\nallowed_hosts = [\"*\"]\n");
    assert_eq!(e.key, "creds.allowed_hosts[0]", "{e}");
}

#[test]
fn pypi_stale_while_revalidate_defaults_to_five_minutes_and_names_its_key() {
    let mount = "[[repos.pypi]]\nname = \"corp\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\n";
    let f = parse(mount, &ConfigSource::EmbeddedDefault).unwrap();
    let pypi = &f.repos.as_ref().unwrap().pypi[0];
    assert_eq!(
        pypi.stale_while_revalidate.0,
        std::time::Duration::from_secs(300)
    );
    let f = parse(
        &format!("{mount}stale_while_revalidate = \"0s\"\n"),
        &ConfigSource::EmbeddedDefault,
    )
    .unwrap();
    assert!(f.repos.unwrap().pypi[0].stale_while_revalidate.0.is_zero());

    let e = err(&format!("{mount}stale_while_revalidate = \"a while\"\n"));
    assert_eq!(e.key, "repos.pypi[0].stale_while_revalidate");
    assert_eq!(e.line, 6);
    assert!(
        e.to_string()
            .starts_with("cfg.toml:6:26: key `repos.pypi[0].stale_while_revalidate`: "),
        "{e}"
    );
}

#[test]
fn access_entries_are_checked_with_their_position() {
    let pypi = "[repos]\n[[repos.pypi]]\nname = \"team\"\ndomain = \"d\"\ndomain_owner = \"111122223333\"\nrepository = \"r\"\n";
    for (text, key, line, says) in [
        (
            "[repos]\nallow_clients = [\"10.0.0.0/8\", \"corp\"]\n".to_owned(),
            "repos.allow_clients[1]",
            2,
            "is not a network",
        ),
        (
            "[[access.token]]\nname = \"ci\"\n".to_owned(),
            "access.token[0].token",
            1,
            "exactly one of `token` and `sha256`",
        ),
        (
            "[[access.token]]\nname = \"ci\"\nsha256 = \"abc\"\n".to_owned(),
            "access.token[0].sha256",
            3,
            "64 hex digits",
        ),
        (
            "[[access.token]]\nname = \"ci\"\ntoken = \"t\"\nlisteners = [\"repos\", \"creds\"]\n".to_owned(),
            "access.token[0].listeners[1]",
            4,
            "not a listener",
        ),
        (
            format!("{pypi}[[access.token]]\nname = \"ci\"\ntoken = \"t\"\nmounts = [\"pypi/tema\"]\n"),
            "access.token[0].mounts[0]",
            10,
            "not a configured mount",
        ),
        (
            "[[access.token]]\nname = \"ci\"\ntoken = \"a\"\n[[access.token]]\nname = \"ci\"\ntoken = \"b\"\n".to_owned(),
            "access.token[1].name",
            5,
            "already used",
        ),
    ] {
        let e = err(&text);
        assert_eq!(e.key, key, "{e}");
        assert_eq!(e.line, line, "{e}");
        assert!(e.message.contains(says), "{e}");
    }
    let ok = format!(
        "{}{}[[access.token]]\nname = \"ci\"\ntoken = \"t\"\nmounts = [\"pypi/team\"]\n",
        "[repos]\nallow_clients = [\"10.0.0.0/8\", \"192.0.2.7\"]\n",
        pypi.trim_start_matches("[repos]\n")
    );
    parse(&ok, &ConfigSource::EmbeddedDefault).unwrap();
}

#[test]
fn tls_settings_come_in_pairs_and_name_their_key() {
    for (text, key) in [
        ("[repos]\ntls_cert = \"/c.pem\"\n", "repos.tls_cert"),
        ("[metrics]\ntls_key = \"/k.pem\"\n", "metrics.tls_key"),
        (
            "[proxy]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\ntls_ca_names = [\"a.example\"]\n",
            "proxy.tls_ca_names",
        ),
        (
            "[repos]\ntls_ca_names = [\"*.example\"]\n",
            "repos.tls_ca_names[0]",
        ),
        ("[creds]\ntls_cert = \"/c.pem\"\n", "creds.tls_cert"),
    ] {
        let e = err(text);
        assert_eq!(e.key, key, "{e}");
        assert!(e.hint.is_some(), "{e}");
    }
    parse(
        "[repos]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n[metrics]\ntls_ca_names = [\"awsproxy.corp.example\"]\n\
         [creds]\ntls_ca_names = [\"host.docker.internal\"]\n",
        &ConfigSource::EmbeddedDefault,
    )
    .unwrap();
}
