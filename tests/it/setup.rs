//! `awsproxy setup`: each tool's file edited inside awsproxy's block, checked by
//! the tool itself where it is installed (pip, npm, cargo, Maven), idempotent,
//! undone byte for byte, refused (exit 2, file unchanged) on overrides.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::context::TestContext;

/// Mounts of every format; the listener on a closed port, so a tool that tries
/// the URL fails fast and names it.
const CONFIG: &str = r#"
[repos]
listen = "127.0.0.1:1"

[[repos.pypi]]
name = "corp"
domain = "d"
domain_owner = "123456789012"
repository = "r"

[[repos.npm]]
name = "main"
domain = "d"
domain_owner = "123456789012"
repository = "r"
allow_publish = true

[[repos.cargo]]
name = "crates"
domain = "d"
domain_owner = "123456789012"
repository = "r"

[[repos.maven]]
name = "corp"
bucket = "acme-maven"
"#;

fn ctx() -> TestContext {
    TestContext::new().config(CONFIG)
}

fn pip_conf(ctx: &TestContext) -> PathBuf {
    ctx.config_home().join("pip/pip.conf")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A tool run with only PATH and the test's HOME/XDG (none of the machine's
/// `PIP_*`/`npm_config_*` variables).
fn tool(ctx: &TestContext, program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", ctx.home())
        .env("XDG_CONFIG_HOME", ctx.config_home());
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The interpreter behind `python3` (a pyenv shim needs the real HOME).
fn python() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn pip_reads_the_index_url_and_undo_restores_the_file() {
    let ctx = ctx();
    let original = "; mine\n[global]\ntimeout   =  60\n\n[install]\n  no-cache-dir=true";
    let path = ctx.write(&pip_conf(&ctx), original);
    ctx.run(&["setup", "pip"]).assert_code(0);
    let listed = output(tool(&ctx, &python()).args(["-m", "pip", "config", "list"]));
    assert!(
        listed.contains("global.index-url='http://127.0.0.1:1/pypi/corp/simple/'"),
        "{listed}"
    );
    assert!(listed.contains("global.timeout='60'"), "{listed}");
    let out = ctx.run(&["setup", "pip"]);
    out.assert_code(0);
    assert!(out.stderr.contains("already set up"), "{}", out.stderr);
    assert_eq!(
        read(&PathBuf::from(format!(
            "{}.awsproxy-backup",
            path.display()
        ))),
        original
    );

    ctx.run(&["setup", "pip", "--undo"]).assert_code(0);
    assert_eq!(read(&path), original);
}

#[test]
fn an_index_url_outside_the_block_is_refused() {
    let ctx = ctx();
    let original = "[global]\nindex-url = https://pypi.example/simple/\n";
    let path = ctx.write(&pip_conf(&ctx), original);
    let out = ctx.run(&["setup", "pip"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("index-url") && out.stderr.contains("hint:"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&path), original);

    let ctx = self::ctx().env("PIP_INDEX_URL", "https://pypi.example/simple/");
    let out = ctx.run(&["setup", "pip"]);
    out.assert_code(2);
    assert!(out.stderr.contains("PIP_INDEX_URL"), "{}", out.stderr);
    assert!(!pip_conf(&ctx).exists());
}

#[test]
fn npm_reads_the_registry_at_user_and_project_level() {
    let ctx = ctx();
    ctx.run(&["setup", "npm"]).assert_code(0);
    let npmrc = ctx.home().join(".npmrc");
    assert!(read(&npmrc).contains("//127.0.0.1:1/npm/main/:_authToken=unused\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&npmrc).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a new .npmrc is private");
    }
    let got = stdout(tool(&ctx, "npm").args(["config", "get", "registry"]));
    assert_eq!(got.trim(), "http://127.0.0.1:1/npm/main/");

    let project = ctx.root().join("web");
    ctx.write(&project.join("package.json"), "{\"name\": \"web\"}\n");
    let original = "# project settings\nsave-exact = true\n\n[section]\nx=1";
    ctx.write(&project.join(".npmrc"), original);
    ctx.run(&["setup", "npm", "--undo"]).assert_code(0);
    assert!(!npmrc.exists(), "undo deletes the .npmrc awsproxy created");
    ctx.run(&["setup", "npm", "--project", project.to_str().unwrap()])
        .assert_code(0);
    let got = stdout(
        tool(&ctx, "npm")
            .current_dir(&project)
            .args(["config", "get", "registry"]),
    );
    assert_eq!(got.trim(), "http://127.0.0.1:1/npm/main/");
    ctx.run(&[
        "setup",
        "npm",
        "--undo",
        "--project",
        project.to_str().unwrap(),
    ])
    .assert_code(0);
    assert_eq!(read(&project.join(".npmrc")), original);
}

#[test]
fn cargo_resolves_through_the_registry_it_wrote() {
    let ctx = ctx();
    let cargo_home = ctx.root().join("cargo-home");
    let config = cargo_home.join("config.toml");
    let original = "# mine\n[net]\nretry    = 0   # fail fast\n";
    ctx.write(&config, original);
    let ctx = ctx.env("CARGO_HOME", cargo_home.to_str().unwrap());
    ctx.run(&["setup", "cargo"]).assert_code(0);
    let table: toml::Table = toml::from_str(&read(&config)).unwrap();
    assert_eq!(
        table["registries"]["crates"]["index"].as_str(),
        Some("sparse+http://127.0.0.1:1/cargo/crates/")
    );

    let project = ctx.root().join("p");
    ctx.write(
        &project.join("Cargo.toml"),
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfoo = { version = \"1\", registry = \"crates\" }\n",
    );
    ctx.write(&project.join("src/lib.rs"), "");
    let out = output(
        // The cargo running this test (not rustup's proxy, which needs the real HOME).
        tool(&ctx, &std::env::var("CARGO").unwrap())
            .env("CARGO_HOME", &cargo_home)
            .env("CARGO_NET_RETRY", "0")
            .current_dir(&project)
            .arg("generate-lockfile"),
    );
    assert!(
        out.contains("http://127.0.0.1:1/cargo/crates/config.json"),
        "cargo did not use the registry: {out}"
    );

    ctx.run(&["setup", "cargo", "--undo"]).assert_code(0);
    assert_eq!(read(&config), original);
}

#[test]
fn maven_uses_the_mirror_and_undo_restores_settings() {
    let ctx = ctx();
    let settings = ctx.home().join(".m2/settings.xml");
    let original = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- my settings -->\n<settings>\n    <offline>false</offline>\n</settings>\n";
    ctx.write(&settings, original);
    let dry = ctx.run(&["setup", "maven", "--dry-run"]);
    dry.assert_code(0);
    assert!(
        dry.stdout.contains("+      <mirrorOf>*</mirrorOf>"),
        "{}",
        dry.stdout
    );
    assert_eq!(read(&settings), original, "--dry-run changes nothing");
    ctx.run(&["setup", "maven"]).assert_code(0);

    let project = ctx.root().join("m");
    ctx.write(
        &project.join("pom.xml"),
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>1</version></parent>\n  <artifactId>m</artifactId>\n  <packaging>pom</packaging>\n</project>\n",
    );
    let home = format!("-Duser.home={}", ctx.home().display());
    let out = output(
        tool(&ctx, "mvn")
            .current_dir(&project)
            .args(["-o", "-B", "-q", &home, "validate"]),
    );
    assert!(
        out.contains("awsproxy-corp (http://127.0.0.1:1/maven/corp/)"),
        "Maven did not use the mirror: {out}"
    );

    ctx.run(&["setup", "maven", "--undo"]).assert_code(0);
    assert_eq!(read(&settings), original);

    std::fs::remove_file(&settings).unwrap();
    ctx.run(&["setup", "maven"]).assert_code(0);
    ctx.run(&["setup", "maven", "--undo"]).assert_code(0);
    assert!(
        !settings.exists(),
        "undo deletes the settings.xml awsproxy created"
    );
}

#[test]
fn broken_settings_xml_is_refused() {
    let ctx = ctx();
    let original = "<settings><mirrors></settings>\n";
    let path = ctx.write(&ctx.home().join(".m2/settings.xml"), original);
    let out = ctx.run(&["setup", "maven"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("does not parse") && out.stderr.contains("hint:"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&path), original);
}

#[test]
fn uv_and_gradle_files_are_written_and_removed() {
    let ctx = ctx();
    let project = ctx.root().join("py");
    ctx.write(
        &project.join("pyproject.toml"),
        "[project]\nname = \"py\"\n",
    );
    ctx.run(&[
        "setup",
        "uv",
        "gradle",
        "--project",
        project.to_str().unwrap(),
    ])
    .assert_code(2);
    ctx.run(&["setup", "uv", "--project", project.to_str().unwrap()])
        .assert_code(0);
    let table: toml::Table = toml::from_str(&read(&project.join("uv.toml"))).unwrap();
    assert_eq!(
        table["index"][0]["url"].as_str(),
        Some("http://127.0.0.1:1/pypi/corp/simple/")
    );
    ctx.run(&["setup", "gradle"]).assert_code(0);
    let script = ctx.home().join(".gradle/init.d/awsproxy.gradle");
    assert!(read(&script).contains("def awsproxyMaven = 'http://127.0.0.1:1/maven/corp/'"));
    // What the script sets when Gradle runs it, evaluated by Groovy (Gradle's
    // language) against a stand-in for Gradle's API.
    assert_eq!(
        gradle_init_settings(&script),
        [
            "settingsEvaluated.pluginManagement.repositories.maven.url=http://127.0.0.1:1/maven/corp/",
            "settingsEvaluated.pluginManagement.repositories.maven.allowInsecureProtocol=true",
            "allprojects.repositories.maven.url=http://127.0.0.1:1/maven/corp/",
            "allprojects.repositories.maven.allowInsecureProtocol=true",
        ]
    );

    let status = ctx.run(&[
        "setup",
        "--status",
        "--json",
        "--project",
        project.to_str().unwrap(),
    ]);
    status.assert_code(0);
    let rows: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let state = |tool: &str, file: &Path| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["tool"] == tool && r["file"] == file.to_str().unwrap())
            .map(|r| (r["state"].as_str().unwrap().to_owned(), r["mount"].clone()))
            .unwrap()
    };
    assert_eq!(state("uv", &project.join("uv.toml")).0, "set up");
    assert_eq!(
        state("gradle", &script),
        ("set up".to_owned(), "corp".into())
    );
    assert_eq!(state("pip", &pip_conf(&ctx)).0, "no file");
    let table = ctx.run(&["setup", "--status"]);
    table.assert_code(0);
    let gradle_row = table
        .stdout
        .lines()
        .find(|l| l.contains("awsproxy.gradle"))
        .unwrap();
    assert!(
        table.stdout.contains("TOOL")
            && gradle_row.contains("corp")
            && gradle_row.contains("set up"),
        "{}",
        table.stdout
    );

    ctx.run(&[
        "setup",
        "uv",
        "--undo",
        "--project",
        project.to_str().unwrap(),
    ])
    .assert_code(0);
    ctx.run(&["setup", "gradle", "--undo"]).assert_code(0);
    assert!(!project.join("uv.toml").exists() && !script.exists());
}

#[test]
fn mounts_are_chosen_or_asked_for() {
    let two = format!(
        "{CONFIG}\n[[repos.pypi]]\nname = \"other\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\n"
    );
    let ctx = TestContext::new().config(&two);
    let out = ctx.run(&["setup", "pip"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("corp, other") && out.stderr.contains("--mount"),
        "{}",
        out.stderr
    );
    ctx.run(&["setup", "pip", "--mount", "other"])
        .assert_code(0);
    assert!(read(&pip_conf(&ctx)).contains("/pypi/other/simple/"));

    let ctx = TestContext::new().config("[repos]\n");
    let out = ctx.run(&["setup", "npm"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("hint: add a `[[repos.npm]]` section"),
        "{}",
        out.stderr
    );

    // poetry's sources live in the project; pip has no project file.
    let out = ctx.run(&["setup", "poetry"]);
    out.assert_code(2);
    assert!(out.stderr.contains("--project"), "{}", out.stderr);
    let out = ctx.run(&["setup", "pip", "--project", "."]);
    out.assert_code(2);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn a_symlinked_dotfile_stays_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let ctx = ctx();
    let original = "save-exact=true\n";
    let real = ctx.write(&ctx.root().join("dotfiles/npmrc"), original);
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = ctx.home().join(".npmrc");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    ctx.run(&["setup", "npm"]).assert_code(0);
    assert!(link.is_symlink());
    assert!(read(&real).contains("registry=http://127.0.0.1:1/npm/main/"));
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    ctx.run(&["setup", "npm", "--undo"]).assert_code(0);
    assert!(link.is_symlink());
    assert_eq!(read(&real), original);
}

/// The properties a Gradle init script sets, as `tests/it/data/gradle_init_eval.groovy`
/// prints them (`groovy` is installed by `.ci/run`; never skipped).
fn gradle_init_settings(script: &Path) -> Vec<String> {
    let groovy = which("groovy")
        .expect("groovy is not installed: .ci/run installs it (apt-get install groovy)");
    // Groovy's launcher needs JAVA_HOME; take the JDK of the `java` on PATH.
    let java_home = std::env::var_os("JAVA_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            let java = std::fs::canonicalize(which("java")?).ok()?;
            Some(java.parent()?.parent()?.to_owned())
        });
    let mut cmd = Command::new(groovy);
    if let Some(home) = java_home {
        cmd.env("JAVA_HOME", home);
    }
    let out = cmd
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/data/gradle_init_eval.groovy"
        ))
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
