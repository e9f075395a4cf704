//! `TestContext`: an isolated HOME and XDG tree, an optional config file, and the
//! real `awsproxy` binary run inside it with a clean environment.
//!
//! ```ignore
//! let ctx = TestContext::new().config("[proxy]\nlisten = \"127.0.0.1:0\"\n");
//! let out = ctx.run(&["config", "check"]);
//! out.assert_code(0);
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary cargo built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_awsproxy"))
}

#[derive(Debug)]
pub struct TestContext {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    /// A fresh temp HOME with empty XDG directories and no AWS config.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home/.aws", "config", "cache", "data", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create test dirs");
        }
        Self {
            dir,
            env: Vec::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    pub fn config_home(&self) -> PathBuf {
        self.root().join("config")
    }

    pub fn cache_home(&self) -> PathBuf {
        self.root().join("cache")
    }

    pub fn data_home(&self) -> PathBuf {
        self.root().join("data")
    }

    pub fn state_home(&self) -> PathBuf {
        self.root().join("state")
    }

    /// awsproxy's default config file location inside this context.
    pub fn config_path(&self) -> PathBuf {
        self.config_home().join("awsproxy").join("config.toml")
    }

    /// Writes awsproxy's config file at the default XDG location.
    pub fn config(self, toml: &str) -> Self {
        self.write(&self.config_path(), toml);
        self
    }

    /// Writes `~/.aws/config`.
    pub fn aws_config(self, ini: &str) -> Self {
        self.write(&self.home().join(".aws/config"), ini);
        self
    }

    /// Adds an environment variable for every command run from this context.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// The static keys the fakes accept, as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
    pub fn fake_aws_keys(self) -> Self {
        use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};
        self.env("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    }

    /// Writes a file (creating parents) and returns its path.
    pub fn write(&self, path: &Path, contents: &str) -> PathBuf {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(path, contents).expect("write file");
        path.to_owned()
    }

    /// The binary with a clean environment: only PATH, the temp HOME and XDG dirs,
    /// AWS files inside the temp HOME, no instance metadata lookups, system trust
    /// store paths under the temp dir.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("XDG_CACHE_HOME", self.cache_home())
            .env("XDG_DATA_HOME", self.data_home())
            .env("XDG_STATE_HOME", self.state_home())
            .env("AWS_CONFIG_FILE", self.home().join(".aws/config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home().join(".aws/credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // Tests run as root: `ca trust` must never reach the real system store.
            .env("AWSPROXY_TRUST_ROOT", self.root().join("trust-root"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary to completion and captures its output.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command().args(args).output().expect("run awsproxy");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// What a finished command printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `awsproxy --config CONFIG cache warm --json ARGS…` with `home` as
/// HOME (off the test harness's listen override): its exit code and JSON summary.
pub fn cache_warm(
    config: &Path,
    home: &Path,
    args: &[&std::ffi::OsStr],
) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(bin())
        .arg("--config")
        .arg(config)
        .args(["cache", "warm", "--json"])
        .args(args)
        .env("HOME", home)
        .env_remove("AWSPROXY_REPOS_LISTEN")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}
