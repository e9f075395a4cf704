//! `awsproxy ca export [--format pem|der] [--out FILE]`: the interception CA
//! certificate, created on first use, for clients to trust.

use std::io::IsTerminal;

use super::Ctx;
use crate::cli::{CaExportArgs, CertFormat};
use crate::error::{Error, ExitStatus};
use crate::fsutil::{self, Mode};
use crate::tls::CertificateAuthority;

pub fn run(ctx: &Ctx, args: &CaExportArgs) -> anyhow::Result<ExitStatus> {
    ctx.config()?;
    if args.format == CertFormat::Der && args.out.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Usage {
            message: "refusing to write binary DER to a terminal".to_owned(),
            hint: Some("add `--out FILE`, redirect stdout, or use `--format pem`".to_owned()),
        }
        .into());
    }
    let ca = CertificateAuthority::load_or_create(&ctx.paths.data_dir)?;
    let bytes: Vec<u8> = match args.format {
        CertFormat::Pem => ca.cert_pem().as_bytes().to_vec(),
        CertFormat::Der => ca.cert_der().to_vec(),
    };
    match &args.out {
        Some(path) => {
            fsutil::atomic_write(path, &bytes, Mode::Public)?;
            ctx.printer.message(&format!(
                "wrote the awsproxy CA certificate to {}",
                path.display()
            ));
        }
        None => ctx.printer.bytes(&bytes)?,
    }
    Ok(ExitStatus::Success)
}
