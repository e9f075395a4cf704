//! What an npm `package-lock.json` (or `npm-shrinkwrap.json`) pins: each
//! registry package and version, for `awsproxy cache warm --lock`. Lockfile
//! versions 2 and 3 list installs under `packages` (`node_modules/NAME`,
//! nested as `node_modules/a/node_modules/b`); version 1 nests them under
//! `dependencies`. Links, bundled packages and versions that are not registry
//! versions (git, file and tarball URLs) are skipped: the registry has no
//! document for them.

use std::collections::BTreeSet;

use serde_json::Value;

/// One package version the lockfile installs from a registry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pinned {
    pub name: crate::npm::names::PackageName,
    pub version: String,
}

/// What a lockfile holds: the pins, and the entries skipped (with why).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lock {
    pub pinned: Vec<Pinned>,
    pub skipped: Vec<String>,
}

/// Reads `text` as a `package-lock.json`.
pub fn package_lock(text: &str) -> Result<Lock, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut pinned = BTreeSet::new();
    let mut skipped = Vec::new();
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        for (path, entry) in packages {
            // "" is the project itself.
            let Some(at) = path.rfind("node_modules/") else {
                continue;
            };
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&path[at + "node_modules/".len()..]);
            take(name, entry, &mut pinned, &mut skipped);
        }
    } else if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
        walk_v1(deps, &mut pinned, &mut skipped, 0);
    } else {
        return Err("no `packages` or `dependencies`: is it a package-lock.json?".to_owned());
    }
    Ok(Lock {
        pinned: pinned.into_iter().collect(),
        skipped,
    })
}

/// Version 1's nested `dependencies` (bounded depth: lockfiles are trees).
fn walk_v1(
    deps: &serde_json::Map<String, Value>,
    pinned: &mut BTreeSet<Pinned>,
    skipped: &mut Vec<String>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for (name, entry) in deps {
        take(name, entry, pinned, skipped);
        if let Some(inner) = entry.get("dependencies").and_then(Value::as_object) {
            walk_v1(inner, pinned, skipped, depth + 1);
        }
    }
}

fn take(name: &str, entry: &Value, pinned: &mut BTreeSet<Pinned>, skipped: &mut Vec<String>) {
    let flag = |k: &str| entry.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("link") || flag("bundled") || flag("inBundle") {
        return;
    }
    let Some(version) = entry.get("version").and_then(Value::as_str) else {
        return;
    };
    match crate::npm::names::PackageName::parse(name) {
        Some(name) if registry_version(version) => {
            pinned.insert(Pinned {
                name,
                version: version.to_owned(),
            });
        }
        _ => skipped.push(format!("{name}@{version}")),
    }
}

/// A semver version as a registry publishes it (`1.2.3`, `1.0.0-rc.1+build`),
/// not a URL or path.
fn registry_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 256
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(lock: &Lock) -> Vec<String> {
        lock.pinned
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect()
    }

    #[test]
    fn version_3_lists_every_install_once_nested_and_scoped_ones_too() {
        let lock = package_lock(
            r#"{
  "name": "app", "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "version": "1.0.0"},
    "node_modules/left-pad": {"version": "1.3.0", "resolved": "https://r/left-pad/-/left-pad-1.3.0.tgz", "integrity": "sha512-x"},
    "node_modules/@scope/util": {"version": "2.0.0-rc.1"},
    "node_modules/a/node_modules/left-pad": {"version": "1.1.0"},
    "node_modules/b/node_modules/left-pad": {"version": "1.1.0"},
    "node_modules/aliased": {"name": "real-name", "version": "3.0.0"},
    "node_modules/local": {"resolved": "../local", "link": true},
    "node_modules/from-git": {"version": "git+ssh://git@github.com/x/y.git#abc"},
    "node_modules/inside": {"version": "1.0.0", "inBundle": true}
  }
}"#,
        )
        .unwrap();
        assert_eq!(
            pins(&lock),
            [
                "@scope/util@2.0.0-rc.1",
                "left-pad@1.1.0",
                "left-pad@1.3.0",
                "real-name@3.0.0"
            ]
        );
        assert_eq!(
            lock.skipped,
            ["from-git@git+ssh://git@github.com/x/y.git#abc"]
        );
    }

    #[test]
    fn version_1_nests_dependencies() {
        let lock = package_lock(
            r#"{"lockfileVersion": 1, "dependencies": {
                "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
                "c": {"version": "file:../c"}
            }}"#,
        )
        .unwrap();
        assert_eq!(pins(&lock), ["a@1.0.0", "b@2.0.0"]);
        assert_eq!(lock.skipped, ["c@file:../c"]);
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        assert!(package_lock("not json").unwrap_err().contains("not JSON"));
        assert!(
            package_lock("{\"name\": \"x\"}")
                .unwrap_err()
                .contains("package-lock.json")
        );
    }

    #[test]
    fn names_that_could_leave_the_mount_are_skipped() {
        let lock = package_lock(
            r#"{"packages": {"node_modules/../../etc": {"version": "1.0.0"},
                              "node_modules/ok": {"version": "1.0.0"}}}"#,
        )
        .unwrap();
        assert_eq!(pins(&lock), ["ok@1.0.0"]);
        assert_eq!(lock.skipped.len(), 1);
    }
}
