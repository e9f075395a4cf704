//! `awsproxy env`: its lines evaluated by real shells (bash, zsh and fish when
//! installed), with paths that hold spaces, quotes and `$`, and `--unset`
//! taking every variable away again.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::context::TestContext;

const CONFIG: &str = r#"
[proxy]
listen = "127.0.0.1:3128"

[repos]
listen = "127.0.0.1:9000"

[[repos.pypi]]
name = "corp"
domain = "d"
domain_owner = "111122223333"
repository = "r"

[[repos.npm]]
name = "js"
domain = "d"
domain_owner = "111122223333"
repository = "r"
"#;

/// A context whose data dir is a path no shell may split or expand.
fn context() -> (TestContext, String) {
    let ctx = TestContext::new().config(CONFIG);
    let data = ctx.root().join("it's a \"data\" $HOME `dir`");
    let ctx = ctx.env("XDG_DATA_HOME", data.to_str().unwrap());
    ctx.run(&["ca", "trust"]).assert_code(0);
    let bundle = data.join("awsproxy/ca-bundle.pem");
    assert!(bundle.is_file(), "{}", bundle.display());
    (ctx, bundle.display().to_string())
}

fn stdout(ctx: &TestContext, args: &[&str]) -> String {
    let out = ctx.run(args);
    out.assert_code(0);
    out.stdout
}

/// What `shell` sees after running `script` (the variables, one per line).
fn shell(program: &str, script: &str) -> Option<String> {
    let path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(program))
        .find(|p| p.is_file())?;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script");
    std::fs::write(&file, script).unwrap();
    let out = Command::new(&path)
        .arg(&file)
        .env_clear()
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{program}: {out:?}");
    Some(String::from_utf8(out.stdout).unwrap())
}

const NAMES: [&str; 6] = [
    "HTTPS_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "NODE_EXTRA_CA_CERTS",
    "PIP_INDEX_URL",
    "JAVA_TOOL_OPTIONS",
];

fn expected(json: &BTreeMap<String, String>) -> String {
    NAMES.iter().map(|n| format!("{}\n", json[*n])).collect()
}

#[test]
fn posix_shells_and_fish_evaluate_the_lines_to_the_exact_values() {
    let (ctx, bundle) = context();
    let json: BTreeMap<String, String> =
        serde_json::from_str(&stdout(&ctx, &["env", "--json"])).unwrap();
    assert_eq!(json["SSL_CERT_FILE"], bundle);
    assert_eq!(json["CURL_CA_BUNDLE"], bundle);
    assert_eq!(json["HTTPS_PROXY"], "http://127.0.0.1:3128");
    assert_eq!(
        json["NO_PROXY"],
        "localhost,127.0.0.1,::1,169.254.169.254,169.254.170.2,169.254.170.23,fd00:ec2::23"
    );
    assert_eq!(
        json["PIP_INDEX_URL"],
        "http://127.0.0.1:9000/pypi/corp/simple/"
    );
    assert_eq!(json["UV_DEFAULT_INDEX"], json["PIP_INDEX_URL"]);
    assert_eq!(json["NPM_CONFIG_REGISTRY"], "http://127.0.0.1:9000/npm/js/");
    assert!(json["JAVA_TOOL_OPTIONS"].contains("awsproxy/java-truststore.p12"));
    assert!(
        json.values().all(|v| !v.contains("AKIA")),
        "no secrets: {json:#?}"
    );

    let want = expected(&json);
    let posix_print: String = NAMES
        .iter()
        .map(|n| format!("printf '%s\\n' \"${n}\"\n"))
        .collect();
    let posix_unset_check: String = NAMES
        .iter()
        .map(|n| format!("printf '%s\\n' \"${{{n}-unset}}\"\n"))
        .collect();
    for sh in ["bash", "zsh"] {
        let set = stdout(&ctx, &["env", "--shell", sh]);
        let unset = stdout(&ctx, &["env", "--shell", sh, "--unset"]);
        let script = format!("eval \"$(cat <<'AWSPROXY'\n{set}AWSPROXY\n)\"\n{posix_print}");
        let Some(seen) = shell(sh, &script) else {
            assert_ne!(sh, "bash", "bash is always installed");
            continue;
        };
        assert_eq!(seen, want, "{sh} with:\n{set}");
        let script = format!("{set}\n{unset}\n{posix_unset_check}");
        assert_eq!(
            shell(sh, &script).unwrap(),
            "unset\n".repeat(NAMES.len()),
            "{sh}"
        );
    }

    let set = stdout(&ctx, &["env", "--shell", "fish"]);
    let unset = stdout(&ctx, &["env", "--shell", "fish", "--unset"]);
    let print: String = NAMES
        .iter()
        .map(|n| format!("printf '%s\\n' \"${n}\"\n"))
        .collect();
    if let Some(seen) = shell("fish", &format!("{set}\n{print}")) {
        assert_eq!(seen, want, "fish with:\n{set}");
        let check: String = NAMES
            .iter()
            .map(|n| format!("set -q {n}; or echo unset\n"))
            .collect();
        let seen = shell("fish", &format!("{set}\n{unset}\n{check}")).unwrap();
        assert_eq!(seen, "unset\n".repeat(NAMES.len()));
    }
}

#[test]
fn the_shell_comes_from_shell_and_mount_picks_one_of_several() {
    let ctx = TestContext::new()
        .config(&format!(
            "{CONFIG}\n[[repos.pypi]]\nname = \"other\"\ndomain = \"d\"\ndomain_owner = \"111122223333\"\nrepository = \"r2\"\n"
        ))
        .env("SHELL", "/usr/bin/fish");
    let out = ctx.run(&["env"]);
    out.assert_code(0);
    assert!(
        out.stdout.starts_with("set -gx HTTPS_PROXY "),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("PIP_INDEX_URL"), "{}", out.stdout);
    assert!(
        out.stderr.contains("several PyPI mounts (corp, other)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("awsproxy ca trust"),
        "no bundle yet: {}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("SSL_CERT_FILE"),
        "no bundle, no CA variables"
    );

    let picked = ctx.run(&["env", "--shell", "bash", "--mount", "other"]);
    picked.assert_code(0);
    assert!(
        picked
            .stdout
            .contains("export PIP_INDEX_URL=http://127.0.0.1:9000/pypi/other/simple/;"),
        "{}",
        picked.stdout
    );
    assert!(
        !picked.stdout.contains("NPM_CONFIG_REGISTRY"),
        "{}",
        picked.stdout
    );

    let unknown = ctx.run(&["env", "--mount", "nope"]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("configured: corp, other, js"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn without_the_proxy_only_the_mounts_are_exported() {
    let ctx = TestContext::new().config(
        "[repos]\nlisten = \"0.0.0.0:9000\"\n[[repos.npm]]\nname = \"js\"\ndomain = \"d\"\ndomain_owner = \"111122223333\"\nrepository = \"r\"\n",
    );
    let json: BTreeMap<String, String> =
        serde_json::from_str(&stdout(&ctx, &["env", "--json"])).unwrap();
    assert_eq!(
        json,
        BTreeMap::from([(
            "NPM_CONFIG_REGISTRY".to_owned(),
            "http://127.0.0.1:9000/npm/js/".to_owned()
        )])
    );
}

/// `--creds CLIENT`: the endpoint URL and the client's token (by file when it
/// has one), evaluated by each shell and then accepted by `creds serve` itself.
#[test]
fn creds_adds_the_container_credentials_variables_that_the_endpoint_accepts() {
    use crate::creds::harness::{Daemon, http_get};
    use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};

    const TOKEN: &str = "inline-t0ken 'quoted' $x";
    let ctx = TestContext::new();
    let token_file = ctx.write(&ctx.root().join("it's $a dir/app-token"), "file-token-abcd");
    let keys = format!(
        "access_key_id = \"{FAKE_ACCESS_KEY_ID}\"\nsecret_access_key = \"{FAKE_SECRET_ACCESS_KEY}\"\n"
    );
    let ctx = ctx.config(&format!(
        "{CONFIG}\n[creds]\nlisten = \"0.0.0.0:1338\"\nallow_non_loopback = true\n[[creds.client]]\nname = \"app\"\ntoken_file = \"{}\"\n{keys}[[creds.client]]\nname = \"inline\"\ntoken = \"{}\"\n{keys}",
        token_file.display(),
        TOKEN
    ));

    let json: BTreeMap<String, String> =
        serde_json::from_str(&stdout(&ctx, &["env", "--json", "--creds", "app"])).unwrap();
    assert_eq!(
        json["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        "http://127.0.0.1:1338/v1/credentials"
    );
    assert_eq!(
        json["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
        token_file.display().to_string()
    );
    assert!(!json.contains_key("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    assert_eq!(
        json["PIP_INDEX_URL"],
        "http://127.0.0.1:9000/pypi/corp/simple/"
    );

    let d = Daemon::start(&ctx);
    let ctx = ctx.env("AWSPROXY_CREDS_LISTEN", d.addr.to_string());
    let names = [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ];
    let url = format!("http://{}/v1/credentials", d.addr);
    for (client, token, file) in [
        ("inline", TOKEN, String::from("unset")),
        ("app", "unset", token_file.display().to_string()),
    ] {
        let want = format!("{url}\n{token}\n{file}\n");
        let posix_print: String = names
            .iter()
            .map(|n| format!("printf '%s\\n' \"${{{n}-unset}}\"\n"))
            .collect();
        let fish_print: String = names
            .iter()
            .map(|n| format!("set -q {n}; and printf '%s\\n' \"${n}\"; or echo unset\n"))
            .collect();
        for sh in ["bash", "zsh", "fish"] {
            let out = ctx.run(&[
                "--log-level",
                "debug",
                "env",
                "--shell",
                sh,
                "--creds",
                client,
            ]);
            out.assert_code(0);
            assert!(
                !out.stderr.contains("t0ken"),
                "the token is logged: {}",
                out.stderr
            );
            let set = out.stdout;
            let unset = stdout(&ctx, &["env", "--shell", sh, "--unset", "--creds", client]);
            let print = if sh == "fish" {
                &fish_print
            } else {
                &posix_print
            };
            let Some(seen) = shell(sh, &format!("{set}\n{print}")) else {
                assert_ne!(sh, "bash", "bash is always installed");
                continue;
            };
            assert_eq!(seen, want, "{sh} with:\n{set}");
            let seen = shell(sh, &format!("{set}\n{unset}\n{print}")).unwrap();
            assert_eq!(seen, "unset\n".repeat(3), "{sh} with:\n{unset}");
        }
        // What an SDK does with the variables: GET the URL with the token (the
        // file's content, for a token file).
        let sent = if client == "app" {
            std::fs::read_to_string(&token_file).unwrap()
        } else {
            token.to_owned()
        };
        let r = http_get(d.addr, "/v1/credentials", Some(&sent));
        assert_eq!(
            r.json()["AccessKeyId"],
            FAKE_ACCESS_KEY_ID,
            "{client}: {r:?}"
        );
    }

    let unknown = ctx.run(&["env", "--creds", "nope"]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("no creds client named `nope`")
            && unknown.stderr.contains("app, inline"),
        "{}",
        unknown.stderr
    );
    assert_eq!(ctx.run(&["env", "--unset", "--creds", "nope"]).code, 2);
}
