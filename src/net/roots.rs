//! Which CAs awsproxy trusts for upstream TLS: the webpki (Mozilla) roots, the
//! system store (which honours `SSL_CERT_FILE`/`SSL_CERT_DIR`), and the PEM files
//! in `[proxy] upstream_ca`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::ResultExt;

/// Builds the root store for upstream connections.
pub fn root_store(extra: &[PathBuf]) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!(%error, "skipping part of the system certificate store");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "loaded system CA certificates");
    for path in extra {
        for cert in load_pem_certs(path)? {
            roots.add(cert).hint_context(
                format!(
                    "{} holds a certificate rustls cannot use as a root",
                    path.display()
                ),
                "`[proxy] upstream_ca` takes PEM CA certificates",
            )?;
        }
    }
    Ok(roots)
}

fn load_pem_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = fs_err::read(path).hint_context(
        "cannot read a `[proxy] upstream_ca` file",
        "fix the path in the configuration, or remove it from `upstream_ca`",
    )?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not valid PEM", path.display()))?;
    if certs.is_empty() {
        return Err(anyhow::anyhow!("{} holds no certificate", path.display())).hint_context(
            "a `[proxy] upstream_ca` file is empty",
            "it must contain PEM blocks starting with -----BEGIN CERTIFICATE-----",
        );
    }
    Ok(certs)
}
