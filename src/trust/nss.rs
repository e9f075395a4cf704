//! The user's NSS database (`~/.pki/nssdb`), which Chromium and Firefox read on
//! Linux, through NSS's own `certutil`.

use std::ffi::OsStr;
use std::path::PathBuf;

use super::{ALIAS, Note, Settings, State, Store, StoreKind, contains_cert, on_path, run};

pub(super) struct Nss<'a>(pub &'a Settings);

impl Nss<'_> {
    fn dir(&self) -> PathBuf {
        self.0.home.join(".pki").join("nssdb")
    }

    /// `sql:DIR`, the database argument certutil takes.
    fn db(&self) -> std::ffi::OsString {
        let mut db = std::ffi::OsString::from("sql:");
        db.push(self.dir());
        db
    }

    fn certutil(&self) -> Result<PathBuf, String> {
        on_path("certutil").ok_or_else(|| {
            "certutil is not installed (Debian/Ubuntu: libnss3-tools, Fedora: nss-tools)".to_owned()
        })
    }
}

impl Store for Nss<'_> {
    fn kind(&self) -> StoreKind {
        StoreKind::Nss
    }

    fn location(&self) -> String {
        self.dir().display().to_string()
    }

    fn state(&self) -> State {
        let certutil = match self.certutil() {
            Ok(c) => c,
            Err(why) => return State::Unavailable(why),
        };
        if !self.dir().join("cert9.db").is_file() {
            return State::Unavailable(format!(
                "no NSS database in {} (Chromium and Firefox create it on first start)",
                self.dir().display()
            ));
        }
        let db = self.db();
        let args: [&OsStr; 6] = [
            "-L".as_ref(),
            "-d".as_ref(),
            &db,
            "-n".as_ref(),
            ALIAS.as_ref(),
            "-a".as_ref(),
        ];
        match run(&certutil, &args) {
            Ok(pem) if contains_cert(&pem, &self.0.ca_pem) => State::Current,
            Ok(_) => State::Outdated,
            Err(_) => State::Missing,
        }
    }

    fn add(&self) -> anyhow::Result<Note> {
        let certutil = self.certutil().map_err(anyhow::Error::msg)?;
        if self.state() == State::Outdated {
            self.remove()?;
        }
        let db = self.db();
        run(
            &certutil,
            &[
                "-A".as_ref(),
                "-n".as_ref(),
                ALIAS.as_ref(),
                "-t".as_ref(),
                "C,,".as_ref(),
                "-i".as_ref(),
                self.0.ca_path.as_os_str(),
                "-d".as_ref(),
                &db,
            ],
        )?;
        Ok(None)
    }

    fn remove(&self) -> anyhow::Result<Note> {
        let certutil = self.certutil().map_err(anyhow::Error::msg)?;
        let db = self.db();
        // One nickname can hold several certificates: delete until none is left.
        while run(
            &certutil,
            &[
                "-L".as_ref(),
                "-d".as_ref(),
                &db,
                "-n".as_ref(),
                ALIAS.as_ref(),
            ],
        )
        .is_ok()
        {
            run(
                &certutil,
                &[
                    "-D".as_ref(),
                    "-n".as_ref(),
                    ALIAS.as_ref(),
                    "-d".as_ref(),
                    &db,
                ],
            )?;
        }
        Ok(None)
    }
}
