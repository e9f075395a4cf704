//! The set of `[[creds.client]]`s the endpoint serves: collected from the config and
//! from the files in `[creds] clients_dir`, with tokens resolved and hashed, and a
//! [`CredentialCache`] per client (kept across reloads while its source is unchanged).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::values::read_secret_file;
use crate::config::{CredsClient, CredsSection};
use crate::creds::{CacheOptions, CredentialCache, SourceSpec};
use crate::secret::Secret;

/// One client the endpoint serves.
#[derive(Debug)]
pub(super) struct Client {
    pub name: String,
    token_hash: [u8; 32],
    pub cache: CredentialCache,
    /// The last answer, kept serialised (see [`super::Answers`]).
    pub answer: super::Answers,
    /// This client's `outcome="ok"` counter, looked up once.
    pub ok_requests: std::sync::OnceLock<prometheus_client::metrics::counter::Counter>,
}

/// An immutable snapshot; a reload swaps in a new one, so requests in flight keep
/// the snapshot they started with.
#[derive(Debug, Default)]
pub(super) struct Clients {
    pub list: Vec<Arc<Client>>,
}

impl Clients {
    /// The client whose token is `presented`. Every client is compared (in constant
    /// time, on SHA-256 digests so lengths don't matter), whichever matches.
    pub fn find(&self, presented: &[u8]) -> Option<&Arc<Client>> {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        let mut found = None;
        for client in &self.list {
            let matches: bool = client.token_hash.ct_eq(&digest).into();
            if matches && found.is_none() {
                found = Some(client);
            }
        }
        found
    }

    pub fn names(&self) -> Vec<String> {
        self.list.iter().map(|c| c.name.clone()).collect()
    }
}

/// A client entry with its token read.
#[derive(Debug)]
pub(super) struct Resolved {
    pub client: CredsClient,
    pub token: Secret,
}

/// Every client of `section` and its `clients_dir`, in order, with problems as
/// messages: a broken file or a duplicate name skips that entry, never the others.
pub(super) fn collect(section: &CredsSection) -> (Vec<Resolved>, Vec<String>) {
    let mut problems = Vec::new();
    let mut entries: Vec<(CredsClient, String)> = section
        .client
        .iter()
        .map(|c| (c.clone(), "the config file".to_owned()))
        .collect();
    if let Some(dir) = &section.clients_dir {
        for path in client_files(dir, &mut problems) {
            match std::fs::read_to_string(&path) {
                Err(e) => problems.push(format!("cannot read `{}`: {e}", path.display())),
                Ok(text) => match crate::config::parse_clients_file(&text, &path) {
                    Ok(list) => entries.extend(
                        list.into_iter()
                            .map(|c| (c, format!("`{}`", path.display()))),
                    ),
                    Err(e) => problems.push(format!("skipping {e}")),
                },
            }
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (client, origin) in entries {
        if !seen.insert(client.name.clone()) {
            problems.push(format!(
                "skipping client `{}` from {origin}: the name is already used",
                client.name
            ));
            continue;
        }
        let token = match (&client.token, &client.token_file) {
            (Some(t), _) => Ok(t.0.clone()),
            (None, Some(path)) => read_secret_file(path).map(Secret::new),
            (None, None) => Err("no token".to_owned()),
        };
        match token {
            Ok(token) if !token.is_empty() => out.push(Resolved { client, token }),
            Ok(_) => problems.push(format!(
                "skipping client `{}` from {origin}: its token is empty",
                client.name
            )),
            Err(e) => problems.push(format!(
                "skipping client `{}` from {origin}: {e}",
                client.name
            )),
        }
    }
    (out, problems)
}

/// The `*.toml` files of `dir`, sorted by name.
fn client_files(dir: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect(),
        Err(e) => {
            problems.push(format!("cannot read clients_dir `{}`: {e}", dir.display()));
            Vec::new()
        }
    };
    files.sort();
    files
}

/// What identifies the state of `dir` for the watcher: names, sizes and mtimes.
pub(super) fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut ignored = Vec::new();
    client_files(dir, &mut ignored)
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
            let mtime = meta.and_then(|m| m.modified().ok());
            (p, len, mtime)
        })
        .collect()
}

/// Builds a new snapshot, reusing the cache of every client whose source is unchanged.
pub(super) async fn build(resolved: Vec<Resolved>, old: &Clients, opts: &CacheOptions) -> Clients {
    let mut list = Vec::with_capacity(resolved.len());
    for r in resolved {
        let spec = SourceSpec::from_client(&r.client);
        let reused = old
            .list
            .iter()
            .find(|c| c.name == r.client.name && c.cache.spec() == &spec)
            .map(|c| c.cache.clone());
        let cache = match reused {
            Some(cache) => cache,
            None => CredentialCache::new(spec, opts.clone()).await,
        };
        list.push(Arc::new(Client {
            name: r.client.name.clone(),
            token_hash: Sha256::digest(r.token.expose().as_bytes()).into(),
            cache,
            answer: super::Answers::default(),
            ok_requests: std::sync::OnceLock::new(),
        }));
    }
    Clients { list }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, parse};

    fn section(toml: &str) -> CredsSection {
        parse(toml, &ConfigSource::EmbeddedDefault)
            .unwrap()
            .creds
            .unwrap()
    }

    #[test]
    fn dir_files_add_clients_and_problems_skip_only_their_entry() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("a.toml"),
            "[[client]]\nname = \"dyn\"\ntoken = \"t-dyn\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join("b.toml"),
            "[[client]]\nname = \"base\"\ntoken = \"t-dup\"\n",
        )
        .unwrap();
        std::fs::write(d.join("c.toml"), "[[client]]\nname = \"bad\"\n").unwrap();
        std::fs::write(
            d.join("d.toml"),
            "[[client]]\nname = \"tf\"\ntoken_file = \"/nonexistent/token\"\n",
        )
        .unwrap();
        std::fs::write(d.join("ignored.txt"), "not toml").unwrap();
        let s = section(&format!(
            "[creds]\nclients_dir = \"{}\"\n[[creds.client]]\nname = \"base\"\ntoken = \"t-base\"\n",
            d.display()
        ));
        let (resolved, problems) = collect(&s);
        let names: Vec<_> = resolved.iter().map(|r| r.client.name.as_str()).collect();
        assert_eq!(names, ["base", "dyn"]);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].contains("c.toml:2:1: key `client[0].name`")
                && problems[0].contains("no token"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("`base`") && problems[1].contains("already used"),
            "{problems:?}"
        );
        assert!(problems[2].contains("/nonexistent/token"), "{problems:?}");
        for p in &problems {
            assert!(!p.contains("t-dup"), "a token in a message: {p}");
        }
    }

    #[tokio::test]
    async fn tokens_match_exactly_one_client() {
        let s = section(
            "[creds]\n[[creds.client]]\nname = \"a\"\ntoken = \"same-prefix-1\"\naccess_key_id = \"AK\"\nsecret_access_key = \"SK\"\n[[creds.client]]\nname = \"b\"\ntoken = \"same-prefix-2\"\naccess_key_id = \"AK\"\nsecret_access_key = \"SK\"\n",
        );
        let (resolved, _) = collect(&s);
        let clients = build(resolved, &Clients::default(), &CacheOptions::default()).await;
        assert_eq!(clients.find(b"same-prefix-1").unwrap().name, "a");
        assert_eq!(clients.find(b"same-prefix-2").unwrap().name, "b");
        for wrong in [
            &b"same-prefix-"[..],
            b"same-prefix-10",
            b"",
            b"SAME-PREFIX-1",
        ] {
            assert!(clients.find(wrong).is_none());
        }
        // An unchanged source keeps its cache across a rebuild.
        let (again, _) = collect(&s);
        let rebuilt = build(again, &clients, &CacheOptions::default()).await;
        assert_eq!(rebuilt.list[0].cache.spec(), clients.list[0].cache.spec());
    }
}
