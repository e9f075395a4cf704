//! The combined bundle: the system roots plus the awsproxy CA, in one PEM file
//! that `awsproxy env` points `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` and the
//! others at (each of them replaces a client's roots, so the file needs both).

use std::path::PathBuf;

use super::{Note, Settings, State, Store, StoreKind, pem_bodies};
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
        // The system roots may hold the CA already (after the system store is
        // trusted): leave it out of them, so the bundle is the same either way.
        let mut text = without_cert(&roots, &self.0.ca_pem);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# awsproxy interception CA\n");
        text.push_str(&self.0.ca_pem);
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

    fn add(&self) -> anyhow::Result<Note> {
        fsutil::atomic_write(&self.path(), self.expected().as_bytes(), Mode::Public)?;
        Ok(None)
    }

    fn remove(&self) -> anyhow::Result<Note> {
        fs_err::remove_file(self.path())?;
        Ok(None)
    }
}

/// `text` without the PEM block of the certificate `pem`.
fn without_cert(text: &str, pem: &str) -> String {
    let Some(ours) = pem_bodies(pem).into_iter().next() else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len());
    let mut block: Option<(String, String)> = None; // (lines, body)
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        match &mut block {
            None if trimmed == "-----BEGIN CERTIFICATE-----" => {
                block = Some((line.to_owned(), String::new()));
            }
            None => out.push_str(line),
            Some((lines, body)) => {
                lines.push_str(line);
                if trimmed == "-----END CERTIFICATE-----" {
                    if *body != ours {
                        out.push_str(lines);
                    }
                    block = None;
                } else {
                    body.push_str(trimmed);
                }
            }
        }
    }
    if let Some((lines, _)) = block {
        out.push_str(&lines);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "-----BEGIN CERTIFICATE-----\nAAAA\nBBBB\n-----END CERTIFICATE-----\n";
    const B: &str = "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n";

    #[test]
    fn without_cert_drops_only_that_block() {
        let text = format!("# a\n{A}# b\n{B}");
        assert_eq!(without_cert(&text, B), format!("# a\n{A}# b\n"));
        assert_eq!(without_cert(&text, A), format!("# a\n# b\n{B}"));
        assert_eq!(without_cert(&text, "no pem"), text);
    }
}
