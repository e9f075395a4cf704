//! `awsproxy ca trust [--dry-run] [--undo] [--json]`: the interception CA into
//! (or out of) every trust store clients read; one line per store on stdout.

use super::Ctx;
use crate::cli::CaTrustArgs;
use crate::error::ExitStatus;
use crate::tls::CertificateAuthority;
use crate::tls::ca::CERT_FILE;
use crate::trust::{self, Action, Outcome, Report, Settings, StoreKind};

pub fn run(ctx: &Ctx, args: &CaTrustArgs) -> anyhow::Result<ExitStatus> {
    ctx.config()?;
    // Only trusting creates the CA: a dry run or an undo changes nothing, and
    // without a CA no store can hold it.
    let ca_path = ctx.paths.data_dir.join(CERT_FILE);
    let ca_pem = if args.dry_run || args.undo {
        std::fs::read_to_string(&ca_path).unwrap_or_default()
    } else {
        CertificateAuthority::load_or_create(&ctx.paths.data_dir)?
            .cert_pem()
            .to_owned()
    };
    let settings = Settings::resolve(&ctx.paths, ca_path, ca_pem, |name| std::env::var(name).ok());
    let action = if args.undo {
        Action::Undo
    } else {
        Action::Trust
    };
    let reports = trust::apply(&settings, action, args.dry_run);
    if args.json {
        ctx.printer.json(&reports)?;
    } else {
        ctx.printer.data(&render(&reports))?;
        hints(ctx, &reports, action);
    }
    Ok(if reports.iter().any(|r| r.outcome == Outcome::Failed) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// One line per store: `STORE  OUTCOME  where (why)`, then the sudo command.
fn render(reports: &[Report]) -> String {
    let mut out = String::new();
    for r in reports {
        let mut line = format!(
            "{:<7} {:<16} {}",
            r.store.as_str(),
            r.outcome.as_str(),
            r.location
        );
        if let Some(detail) = &r.detail {
            line.push_str(&format!(": {detail}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if let Some(command) = &r.command {
            out.push_str(&format!("        run: {command}\n"));
        }
    }
    out
}

/// What to do next, on stderr.
fn hints(ctx: &Ctx, reports: &[Report], action: Action) {
    let done = |kind| {
        reports
            .iter()
            .any(|r| r.store == kind && matches!(r.outcome, Outcome::Trusted | Outcome::Already))
    };
    if action == Action::Trust && done(StoreKind::Bundle) {
        ctx.printer.message(
            "shells: `eval \"$(awsproxy env)\"` points REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE, ... at the bundle",
        );
    }
    if action == Action::Trust && done(StoreKind::Java) {
        ctx.printer.message(&format!(
            "Java: JAVA_TOOL_OPTIONS={} (`awsproxy env` exports it)",
            crate::shell::quote_posix(&trust::java_tool_options(&trust::java_truststore_path(
                &ctx.paths
            )))
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_line_per_store_and_the_sudo_command() {
        let reports = [
            Report {
                store: StoreKind::Nss,
                outcome: Outcome::Skipped,
                location: "/h/.pki/nssdb".into(),
                detail: Some("certutil is not installed".into()),
                command: None,
            },
            Report {
                store: StoreKind::System,
                outcome: Outcome::NeedsRoot,
                location: "/usr/local/share/ca-certificates/awsproxy.crt".into(),
                detail: None,
                command: Some("sudo update-ca-certificates".into()),
            },
        ];
        assert_eq!(
            render(&reports),
            "nss     skipped          /h/.pki/nssdb: certutil is not installed\n\
             system  needs root       /usr/local/share/ca-certificates/awsproxy.crt\n        \
             run: sudo update-ca-certificates\n"
        );
    }
}
