//! `awsproxy doctor`: named checks, each returning pass / warn / fail with a hint.
//!
//! A check is a plain function of a [`Context`] (the loaded configuration, the
//! paths and the environment), so tests can run each one against a crafted
//! setup. Checks that talk to the network get a timeout, so doctor finishes in
//! seconds offline.

mod aws_checks;
mod checks;
mod loosened;
pub mod probe;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::paths::Paths;
use crate::secret::redact_urls_in;

/// Longest any single check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable, machine-readable name (e.g. `config`, `port:proxy`).
    pub check: String,
    pub outcome: Outcome,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    pub fn pass(check: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(check.into(), Outcome::Pass, summary.into(), None)
    }

    pub fn warn(
        check: impl Into<String>,
        summary: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self::new(
            check.into(),
            Outcome::Warn,
            summary.into(),
            Some(hint.into()),
        )
    }

    pub fn fail(
        check: impl Into<String>,
        summary: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self::new(
            check.into(),
            Outcome::Fail,
            summary.into(),
            Some(hint.into()),
        )
    }

    /// Every finding is shown (table or `--json`), so URL userinfo never survives
    /// into one, whichever check wrote it.
    fn new(check: String, outcome: Outcome, summary: String, hint: Option<String>) -> Self {
        let redact = |text: String| match redact_urls_in(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(redacted) => redacted,
        };
        Self {
            check,
            outcome,
            summary: redact(summary),
            hint: hint.map(redact),
        }
    }
}

/// What the checks look at.
#[derive(Debug)]
pub struct Context {
    pub config: Result<Config, ConfigError>,
    pub paths: Paths,
    /// The environment variables the checks read (a snapshot, so tests can craft one).
    pub env: BTreeMap<String, String>,
}

impl Context {
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Runs every check in order.
pub fn run(ctx: &Context) -> Vec<Finding> {
    let mut findings = vec![checks::config(ctx)];
    let Ok(config) = &ctx.config else {
        return findings;
    };
    findings.extend(checks::ports(ctx, config));
    findings.extend(checks::creds_containers(config));
    findings.extend(checks::proxy_env(ctx, config));
    findings.extend(loosened::findings(config));
    findings.extend(checks::cache_tiers(config));
    findings.extend(checks::ca_bundles(ctx));
    findings.push(checks::aws_config_file(ctx));
    findings.extend(aws_checks::session_config(ctx));
    findings.extend(aws_checks::sso_sessions(ctx, config));
    findings.push(aws_checks::ca(ctx, config));
    findings.extend(aws_checks::ca_stores(ctx, config));
    findings.push(checks::agent(ctx));
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => findings.extend(runtime.block_on(aws_checks::network(ctx, config))),
        Err(e) => findings.push(Finding::warn(
            "network",
            format!("cannot start the network checks: {e}"),
            "see the logs",
        )),
    }
    findings
}

/// The exit status doctor should report for these findings.
pub fn worst(findings: &[Finding]) -> Outcome {
    findings
        .iter()
        .map(|f| f.outcome)
        .max()
        .unwrap_or(Outcome::Pass)
}
