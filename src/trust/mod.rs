//! `awsproxy ca trust`: puts the interception CA into each trust store clients
//! read, and takes it out again (`--undo`). Each store answers what state it is
//! in and how to add or remove the CA; [`apply`] turns that into one [`Report`]
//! per store, so `ca trust`, `--dry-run`, `--undo` and `doctor` share one model.
//!
//! | store  | where                                                          |
//! |--------|----------------------------------------------------------------|
//! | bundle | `$XDG_DATA_HOME/awsproxy/ca-bundle.pem` (system roots + the CA) |
//! | nss    | `~/.pki/nssdb` through `certutil` (Chromium, Firefox)          |
//! | java   | `$XDG_DATA_HOME/awsproxy/java-truststore.p12` (the JDK's cacerts + the CA) |
//! | system | Debian/Ubuntu, Fedora/RHEL anchors, or the macOS login keychain |
//!
//! Nothing here touches a store outside these locations; the system paths are
//! prefixed by `AWSPROXY_TRUST_ROOT` when it is set (tests, unusual layouts).

mod bundle;
mod java;
mod nss;
mod system;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::env_vars;
use crate::paths::Paths;

/// The combined bundle, relative to the data dir.
pub const BUNDLE_FILE: &str = "ca-bundle.pem";
/// The user's Java trust store, relative to the data dir.
pub const JAVA_TRUSTSTORE_FILE: &str = "java-truststore.p12";
/// The password of the Java trust store: the JDK's well-known default, not a
/// secret (a trust store holds only public certificates).
pub const JAVA_TRUSTSTORE_PASSWORD: &str = "changeit";
/// The name the CA is stored under in NSS and Java key stores.
pub const ALIAS: &str = "awsproxy";

/// Where the combined bundle lives.
pub fn bundle_path(paths: &Paths) -> PathBuf {
    paths.data_dir.join(BUNDLE_FILE)
}

/// Where the user's Java trust store lives.
pub fn java_truststore_path(paths: &Paths) -> PathBuf {
    paths.data_dir.join(JAVA_TRUSTSTORE_FILE)
}

/// The `JAVA_TOOL_OPTIONS` value that makes every JVM use the user trust store.
pub fn java_tool_options(truststore: &Path) -> String {
    let path = truststore.display().to_string();
    // The JVM splits JAVA_TOOL_OPTIONS on white space outside '...' or "...".
    let path = match (path.contains(char::is_whitespace), path.contains('"')) {
        (false, _) => path,
        (true, false) => format!("\"{path}\""),
        (true, true) => format!("'{path}'"),
    };
    format!(
        "-Djavax.net.ssl.trustStore={path} -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword={JAVA_TRUSTSTORE_PASSWORD}"
    )
}

/// Everything the stores need, resolved once from paths and the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The CA certificate file (`ca.pem`).
    pub ca_path: PathBuf,
    /// Its PEM text.
    pub ca_pem: String,
    pub data_dir: PathBuf,
    pub home: PathBuf,
    /// Prefix of every system path (`/` normally).
    pub root: PathBuf,
    /// What refreshes the system store instead of the platform's tool; `None`
    /// with a non-default root: nothing is run.
    pub update_command: Option<Vec<String>>,
    /// Whether this process may write the system store.
    pub is_root: bool,
    /// `JAVA_HOME`, when set.
    pub java_home: Option<PathBuf>,
}

impl Settings {
    /// `var` reads the environment (`doctor` passes its snapshot).
    pub fn resolve(
        paths: &Paths,
        ca_path: PathBuf,
        ca_pem: String,
        var: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let root =
            var(env_vars::AWSPROXY_TRUST_ROOT).map_or_else(|| PathBuf::from("/"), PathBuf::from);
        let update_command = match var(env_vars::AWSPROXY_TRUST_UPDATE) {
            Some(cmd) => Some(cmd.split_whitespace().map(str::to_owned).collect()),
            None if root == Path::new("/") => Some(Vec::new()),
            None => None,
        };
        Self {
            ca_path,
            ca_pem,
            data_dir: paths.data_dir.clone(),
            home: paths.home.clone(),
            root,
            update_command,
            is_root: rustix::process::geteuid().is_root(),
            java_home: var(env_vars::JAVA_HOME).map(PathBuf::from),
        }
    }

    /// A system path under the configured root.
    fn system_path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }
}

/// The stores, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Bundle,
    Nss,
    Java,
    System,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Bundle => "bundle",
            StoreKind::Nss => "nss",
            StoreKind::Java => "java",
            StoreKind::System => "system",
        }
    }
}

/// What a store holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// It trusts this CA.
    Current,
    /// It holds awsproxy's entry, but not (only) this CA: a re-trust replaces it.
    Outdated,
    Missing,
    /// The store cannot be used here, and why.
    Unavailable(String),
}

/// What the user should know about a change that was made, if anything.
type Note = Option<String>;

/// One trust store.
trait Store {
    fn kind(&self) -> StoreKind;
    /// Where it is, for humans.
    fn location(&self) -> String;
    fn state(&self) -> State;
    fn add(&self) -> anyhow::Result<Note>;
    fn remove(&self) -> anyhow::Result<Note>;
    /// When only root may change the store and this process is not root: the
    /// command that does `action` with sudo (reported instead, dry run or not).
    fn root_command(&self, _action: Action) -> Option<String> {
        None
    }
}

fn stores(settings: &Settings) -> Vec<Box<dyn Store + '_>> {
    vec![
        Box::new(bundle::Bundle(settings)),
        Box::new(nss::Nss(settings)),
        Box::new(java::Java(settings)),
        Box::new(system::System::detect(settings)),
    ]
}

/// The outcome for one store, as `ca trust` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Trusted,
    Already,
    WouldTrust,
    Removed,
    NotPresent,
    WouldRemove,
    Skipped,
    NeedsRoot,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Trusted => "trusted",
            Outcome::Already => "already trusted",
            Outcome::WouldTrust => "would trust",
            Outcome::Removed => "removed",
            Outcome::NotPresent => "not present",
            Outcome::WouldRemove => "would remove",
            Outcome::Skipped => "skipped",
            Outcome::NeedsRoot => "needs root",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub store: StoreKind,
    pub outcome: Outcome,
    pub location: String,
    /// Why it was skipped or failed, or what was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For `needs-root`: the command to run with sudo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// What `ca trust` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Trust,
    Undo,
}

/// Trusts (or untrusts) the CA in every store; with `dry_run`, only reports.
pub fn apply(settings: &Settings, action: Action, dry_run: bool) -> Vec<Report> {
    stores(settings)
        .iter()
        .map(|store| apply_one(store.as_ref(), action, dry_run))
        .collect()
}

fn apply_one(store: &dyn Store, action: Action, dry_run: bool) -> Report {
    let report = |outcome, detail: Option<String>, command| Report {
        store: store.kind(),
        outcome,
        location: store.location(),
        detail,
        command,
    };
    let (would, done) = match (action, store.state()) {
        (_, State::Unavailable(why)) => return report(Outcome::Skipped, Some(why), None),
        (Action::Trust, State::Current) => return report(Outcome::Already, None, None),
        (Action::Undo, State::Missing) => return report(Outcome::NotPresent, None, None),
        (Action::Trust, _) => (Outcome::WouldTrust, Outcome::Trusted),
        (Action::Undo, _) => (Outcome::WouldRemove, Outcome::Removed),
    };
    if let Some(command) = store.root_command(action) {
        return report(Outcome::NeedsRoot, None, Some(command));
    }
    if dry_run {
        return report(would, None, None);
    }
    let applied = match action {
        Action::Trust => store.add(),
        Action::Undo => store.remove(),
    };
    match applied {
        Ok(note) => report(done, note, None),
        Err(e) => report(Outcome::Failed, Some(format!("{e:#}")), None),
    }
}

/// Each store's state, for `doctor`.
pub fn states(settings: &Settings) -> Vec<(StoreKind, String, State)> {
    stores(settings)
        .iter()
        .map(|s| (s.kind(), s.location(), s.state()))
        .collect()
}

/// The base64 bodies of the PEM certificates in `text`, for comparing
/// certificates whatever their line breaks or headers.
fn pem_bodies(text: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line == "-----BEGIN CERTIFICATE-----" {
            current = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            bodies.extend(current.take());
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        }
    }
    bodies
}

/// Whether `text` holds the certificate `pem`.
fn contains_cert(text: &str, pem: &str) -> bool {
    let Some(ours) = pem_bodies(pem).into_iter().next() else {
        return false;
    };
    pem_bodies(text).contains(&ours)
}

/// `program` found on `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Runs a command, failing with its stderr when it exits non-zero.
fn run(program: &Path, args: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", program.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let said = if stderr.trim().is_empty() {
            stdout
        } else {
            stderr
        };
        Err(anyhow::anyhow!(
            "{} failed ({}): {}",
            program.display(),
            out.status,
            said.trim()
        ))
    }
}

/// A word for a shell command line shown to the user.
fn sh_word(path: &Path) -> String {
    crate::shell::quote_posix(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path, is_root: bool) -> Settings {
        Settings {
            ca_path: dir.join("data/ca.pem"),
            ca_pem: "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n".into(),
            data_dir: dir.join("data"),
            home: dir.join("home"),
            root: dir.join("root"),
            update_command: None,
            is_root,
            java_home: None,
        }
    }

    #[test]
    fn without_root_the_system_store_reports_the_exact_sudo_commands() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), false);
        std::fs::create_dir_all(s.system_path(system::DEBIAN.dir)).unwrap();
        let store = system::System::detect(&s);
        let dry = apply_one(&store, Action::Trust, true);
        assert_eq!(dry.outcome, Outcome::NeedsRoot, "a dry run says so too");
        let trust = apply_one(&store, Action::Trust, false);
        assert_eq!(trust.outcome, Outcome::NeedsRoot);
        assert_eq!(dry.command, trust.command);
        let anchor = s.system_path(system::DEBIAN.dir).join("awsproxy.crt");
        assert_eq!(
            trust.command.unwrap(),
            format!(
                "sudo install -m 0644 {} {} && sudo update-ca-certificates",
                s.ca_path.display(),
                anchor.display()
            )
        );
        assert!(!anchor.exists(), "nothing written without root");
        std::fs::write(&anchor, &s.ca_pem).unwrap();
        assert_eq!(
            apply_one(&store, Action::Trust, false).outcome,
            Outcome::Already
        );
        let undo = apply_one(&store, Action::Undo, false);
        assert_eq!(undo.outcome, Outcome::NeedsRoot);
        assert_eq!(
            undo.command.unwrap(),
            format!(
                "sudo rm -f {} && sudo update-ca-certificates --fresh",
                anchor.display()
            )
        );
    }

    #[test]
    fn fedora_layout_and_quoted_paths() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path(), false);
        s.ca_path = dir.path().join("it's here/ca.pem");
        std::fs::create_dir_all(s.system_path(system::FEDORA.dir)).unwrap();
        let report = apply_one(&system::System::detect(&s), Action::Trust, false);
        let command = report.command.unwrap();
        assert!(command.contains("'\\''s here/ca.pem'"), "{command}");
        assert!(
            command
                .ends_with("/etc/pki/ca-trust/source/anchors/awsproxy.pem && sudo update-ca-trust"),
            "{command}"
        );
    }

    #[test]
    fn as_root_under_a_test_root_the_refresh_tool_is_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), true);
        std::fs::create_dir_all(s.system_path(system::DEBIAN.dir)).unwrap();
        let report = apply_one(&system::System::detect(&s), Action::Trust, false);
        assert_eq!(report.outcome, Outcome::Trusted);
        assert!(
            report
                .detail
                .unwrap()
                .contains("not run: AWSPROXY_TRUST_ROOT is set")
        );
    }

    #[test]
    fn no_known_layout_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), true);
        let report = apply_one(&system::System::detect(&s), Action::Trust, false);
        assert_eq!(report.outcome, Outcome::Skipped);
    }

    #[test]
    fn certificates_compare_by_body() {
        let pem = "-----BEGIN CERTIFICATE-----\nQU\nJD\n-----END CERTIFICATE-----\n";
        assert!(contains_cert(
            &format!("junk\n{pem}"),
            "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----"
        ));
        assert!(!contains_cert(pem, "no certificate"));
    }

    #[test]
    fn java_tool_options_quote_paths_with_spaces() {
        assert!(
            java_tool_options(Path::new("/a/ts.p12"))
                .starts_with("-Djavax.net.ssl.trustStore=/a/ts.p12 ")
        );
        assert!(
            java_tool_options(Path::new("/a b/ts.p12"))
                .starts_with("-Djavax.net.ssl.trustStore=\"/a b/ts.p12\" ")
        );
    }
}
