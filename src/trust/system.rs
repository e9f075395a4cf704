//! The system trust store: a file in the distribution's anchor directory plus
//! its refresh tool, or the macOS login keychain. Writing the Linux stores needs
//! root; without it the report carries the exact `sudo` command instead.

use std::path::{Path, PathBuf};

use super::{Action, Note, Settings, State, Store, StoreKind, contains_cert, run, sh_word};
use crate::fsutil::{self, Mode};

/// A Linux layout: where anchors go and what rebuilds the bundle from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// The anchor directory (it must exist for the layout to be detected).
    pub dir: &'static str,
    /// The file awsproxy writes there.
    pub file: &'static str,
    pub update: &'static str,
    /// Its arguments after a removal (Debian's tool drops stale links only with `--fresh`).
    pub update_after_removal: &'static [&'static str],
}

pub(super) const DEBIAN: Layout = Layout {
    dir: "/usr/local/share/ca-certificates",
    file: "awsproxy.crt",
    update: "update-ca-certificates",
    update_after_removal: &["--fresh"],
};

pub(super) const FEDORA: Layout = Layout {
    dir: "/etc/pki/ca-trust/source/anchors",
    file: "awsproxy.pem",
    update: "update-ca-trust",
    update_after_removal: &[],
};

pub(super) enum System<'a> {
    Linux(&'a Settings, Layout),
    #[cfg_attr(not(target_os = "macos"), allow(dead_code))]
    Keychain(&'a Settings),
    Unknown,
}

impl<'a> System<'a> {
    pub fn detect(settings: &'a Settings) -> Self {
        if cfg!(target_os = "macos") && settings.root == Path::new("/") {
            return System::Keychain(settings);
        }
        [DEBIAN, FEDORA]
            .into_iter()
            .find(|l| settings.system_path(l.dir).is_dir())
            .map_or(System::Unknown, |l| System::Linux(settings, l))
    }

    fn anchor(settings: &Settings, layout: Layout) -> PathBuf {
        settings.system_path(layout.dir).join(layout.file)
    }

    /// Runs the refresh tool (or the `AWSPROXY_TRUST_UPDATE` stand-in); says so
    /// when a test root means nothing is run.
    fn refresh(settings: &Settings, layout: Layout, removed: bool) -> anyhow::Result<Note> {
        match settings.update_command.as_deref() {
            None => Ok(Some(format!(
                "{} not run: AWSPROXY_TRUST_ROOT is set",
                layout.update
            ))),
            Some([]) => {
                let args: &[&str] = if removed {
                    layout.update_after_removal
                } else {
                    &[]
                };
                let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
                run(Path::new(layout.update), &args).map(|_| None)
            }
            Some([program, args @ ..]) => {
                let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
                run(Path::new(program), &args).map(|_| None)
            }
        }
    }

    fn keychain(settings: &Settings) -> PathBuf {
        settings.home.join("Library/Keychains/login.keychain-db")
    }
}

/// The command a user runs to do what root would have done.
pub(super) fn sudo_command(settings: &Settings, layout: Layout, add: bool) -> String {
    let target = sh_word(&System::anchor(settings, layout));
    if add {
        format!(
            "sudo install -m 0644 {} {target} && sudo {}",
            sh_word(&settings.ca_path),
            layout.update
        )
    } else {
        let update = std::iter::once(layout.update)
            .chain(layout.update_after_removal.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        format!("sudo rm -f {target} && sudo {update}")
    }
}

impl Store for System<'_> {
    fn kind(&self) -> StoreKind {
        StoreKind::System
    }

    fn location(&self) -> String {
        match self {
            System::Linux(s, l) => System::anchor(s, *l).display().to_string(),
            System::Keychain(s) => System::keychain(s).display().to_string(),
            System::Unknown => "system".to_owned(),
        }
    }

    fn state(&self) -> State {
        match self {
            System::Unknown => State::Unavailable(format!(
                "no known system trust store ({} or {} with {}/{})",
                DEBIAN.dir, FEDORA.dir, DEBIAN.update, FEDORA.update
            )),
            System::Linux(s, l) => match std::fs::read_to_string(System::anchor(s, *l)) {
                Ok(text) if contains_cert(&text, &s.ca_pem) => State::Current,
                Ok(_) => State::Outdated,
                Err(_) => State::Missing,
            },
            System::Keychain(s) => {
                match run(
                    Path::new("security"),
                    &["verify-cert".as_ref(), "-c".as_ref(), s.ca_path.as_os_str()],
                ) {
                    Ok(_) => State::Current,
                    Err(_) => State::Missing,
                }
            }
        }
    }

    fn root_command(&self, action: Action) -> Option<String> {
        match self {
            System::Linux(s, l) if !s.is_root => Some(sudo_command(s, *l, action == Action::Trust)),
            _ => None,
        }
    }

    fn add(&self) -> anyhow::Result<Note> {
        match self {
            System::Unknown => Ok(None),
            System::Linux(s, l) => {
                fsutil::atomic_write(&System::anchor(s, *l), s.ca_pem.as_bytes(), Mode::Public)?;
                System::refresh(s, *l, false)
            }
            System::Keychain(s) => {
                let keychain = System::keychain(s);
                run(
                    Path::new("security"),
                    &[
                        "add-trusted-cert".as_ref(),
                        "-r".as_ref(),
                        "trustRoot".as_ref(),
                        "-k".as_ref(),
                        keychain.as_os_str(),
                        s.ca_path.as_os_str(),
                    ],
                )?;
                Ok(None)
            }
        }
    }

    fn remove(&self) -> anyhow::Result<Note> {
        match self {
            System::Unknown => Ok(None),
            System::Linux(s, l) => {
                fs_err::remove_file(System::anchor(s, *l))?;
                System::refresh(s, *l, true)
            }
            System::Keychain(s) => {
                run(
                    Path::new("security"),
                    &["remove-trusted-cert".as_ref(), s.ca_path.as_os_str()],
                )?;
                let keychain = System::keychain(s);
                run(
                    Path::new("security"),
                    &[
                        "delete-certificate".as_ref(),
                        "-c".as_ref(),
                        "awsproxy interception CA".as_ref(),
                        keychain.as_os_str(),
                    ],
                )?;
                Ok(None)
            }
        }
    }
}
