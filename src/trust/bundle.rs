//! The combined bundle: the system roots plus the awsproxy CA, in one PEM file
//! that `awsproxy env` points `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` and the
//! others at (each of them replaces a client's roots, so the file needs both).

use std::path::PathBuf;

use super::{Applied, Settings, State, Store, StoreKind, contains_cert};
use crate::fsutil::{self, Mode};

/// Where the system's roots are, first found wins (Debian, Fedora, macOS/Alpine).
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

pub(super) struct Bundle<'a>(pub &'a Settings);

impl Bundle<'_> {
    fn path(&self) -> PathBuf {
        self.0.data_dir.join(super::BUNDLE_FILE)
    }

    /// What the file should hold now.
    fn expected(&self) -> String {
        let roots = SYSTEM_BUNDLES
            .iter()
            .find_map(|p| std::fs::read_to_string(self.0.system_path(p)).ok())
            .unwrap_or_default();
        let mut text = roots;
        if !contains_cert(&text, &self.0.ca_pem) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("# awsproxy interception CA\n");
            text.push_str(&self.0.ca_pem);
        }
        text
    }
}

impl Store for Bundle<'_> {
    fn kind(&self) -> StoreKind {
        StoreKind::Bundle
    }

    fn location(&self) -> String {
        self.path().display().to_string()
    }

    fn state(&self) -> State {
        match std::fs::read_to_string(self.path()) {
            Ok(text) if text == self.expected() => State::Current,
            Ok(_) => State::Outdated,
            Err(_) => State::Missing,
        }
    }

    fn add(&self) -> anyhow::Result<Applied> {
        fsutil::atomic_write(&self.path(), self.expected().as_bytes(), Mode::Public)?;
        Ok(Applied::Done(None))
    }

    fn remove(&self) -> anyhow::Result<Applied> {
        fs_err::remove_file(self.path())?;
        Ok(Applied::Done(None))
    }
}
