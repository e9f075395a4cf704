//! `awsproxy setup docker`: `credHelpers` entries in Docker's `config.json`
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; skopeo and
//! podman read it too) mapping each `[[docker.registry]]` host to `awsproxy`,
//! so the client runs `docker-credential-awsproxy`. JSON has no comments to
//! mark a block with, so what was added is kept in a [`Record`] beside
//! awsproxy's state, and `--undo` removes exactly that (entries still mapped to
//! `awsproxy`), byte for byte. Every other key and byte stays as it was.

use serde::{Deserialize, Serialize};

use super::json::{self, Object};
use super::{Plan, Refusal};

/// The helper name Docker turns into `docker-credential-awsproxy`.
pub(crate) const HELPER: &str = "awsproxy";

const KEY: &str = "credHelpers";

/// What `setup docker` added to one config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    /// The file did not exist.
    pub created_file: bool,
    /// The file had no `credHelpers`.
    pub created_key: bool,
    /// The hosts whose entries awsproxy added.
    pub added: Vec<String>,
}

fn unparseable(why: impl std::fmt::Display) -> Refusal {
    Refusal::new(
        format!("the docker configuration file does not parse: {why}"),
        "fix the file (or move it aside), then run the command again; awsproxy edits only files it can read",
    )
}

/// The top-level object and its `credHelpers` (checked: an object of strings).
fn read(text: &str) -> Result<(Object, Option<Object>), Refusal> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(unparseable)?;
    if !value.is_object() {
        return Err(unparseable("it is not a JSON object"));
    }
    if let Some(helpers) = value.get(KEY)
        && !helpers
            .as_object()
            .is_some_and(|o| o.values().all(serde_json::Value::is_string))
    {
        return Err(unparseable(
            "`credHelpers` is not an object of helper names",
        ));
    }
    let top = json::object_at(text, 0).map_err(unparseable)?;
    let helpers = match top.get(KEY) {
        Some(m) => Some(json::object_at(text, m.value.start).map_err(unparseable)?),
        None => None,
    };
    Ok((top, helpers))
}

fn helper_of<'a>(text: &'a str, helpers: Option<&Object>, host: &str) -> Option<&'a str> {
    let m = helpers?.get(host)?;
    let raw = &text[m.value.clone()];
    Some(raw.trim_matches('"'))
}

/// The indentation unit the file uses (Docker writes tabs).
fn unit_of(text: &str, top: &Object) -> String {
    top.members
        .first()
        .and_then(|m| json::indent_of(text, m.key_span.start))
        .filter(|i| !i.is_empty())
        .map_or_else(|| "\t".to_owned(), str::to_owned)
}

/// The file's new text adding `hosts` (and the record of what awsproxy has
/// added so far), or why it must stay as it is. A host mapped to another
/// helper is refused: the user chose that one.
pub(crate) fn setup(
    current: Option<&str>,
    hosts: &[String],
    previous: Option<&Record>,
) -> Result<(Plan, Record), Refusal> {
    let mut text = current.unwrap_or("{}").to_owned();
    let (top, helpers) = read(&text)?;
    let mut record = previous.cloned().unwrap_or_default();
    if current.is_none() {
        record = Record {
            created_file: true,
            ..Record::default()
        };
    }
    // Entries recorded earlier that are gone or changed are no longer ours.
    record
        .added
        .retain(|h| helper_of(&text, helpers.as_ref(), h) == Some(HELPER));
    let mut missing = Vec::new();
    for host in hosts {
        match helper_of(&text, helpers.as_ref(), host) {
            Some(HELPER) => {}
            Some(other) => {
                return Err(Refusal::new(
                    format!("credHelpers already maps {host} to `docker-credential-{other}`"),
                    format!(
                        "remove the \"{host}\" entry from credHelpers if awsproxy should answer for it, then run the command again"
                    ),
                ));
            }
            None => missing.push(host.clone()),
        }
    }
    if missing.is_empty() {
        return Ok((Plan::Unchanged, record));
    }
    let unit = unit_of(&text, &top);
    let helper = serde_json::Value::String(HELPER.to_owned()).to_string();
    match helpers {
        Some(_) => {
            for host in &missing {
                let (top, helpers) = read(&text)?;
                let m = top.get(KEY).map(|m| m.key_span.start).unwrap_or_default();
                let outer = json::indent_of(&text, m).unwrap_or("").to_owned();
                let Some(helpers) = helpers else { break };
                text = json::insert_member(&text, &helpers, host, &helper, &outer, &unit);
            }
        }
        None => {
            let inner = format!("{unit}{unit}");
            let entries: Vec<String> = missing
                .iter()
                .map(|h| format!("{inner}{}: {helper}", serde_json::Value::String(h.clone())))
                .collect();
            let value = format!("{{\n{}\n{unit}}}", entries.join(",\n"));
            text = json::insert_member(&text, &top, KEY, &value, "", &unit);
            if current.is_none() {
                text.push('\n');
            }
            record.created_key = true;
        }
    }
    record.added.extend(missing);
    Ok((Plan::Write(text), record))
}

/// The file's text without what `record` says awsproxy added (entries still
/// mapped to `awsproxy`; `credHelpers` when awsproxy created it and it is
/// now empty; the file when awsproxy created it and nothing else is left).
pub(crate) fn undo(current: Option<&str>, record: Option<&Record>) -> Result<Plan, Refusal> {
    let (Some(original), Some(record)) = (current, record) else {
        return Ok(Plan::Unchanged);
    };
    let mut text = original.to_owned();
    for host in &record.added {
        let (_, helpers) = read(&text)?;
        let Some(helpers) = helpers else { break };
        if let Some(i) = helpers.members.iter().position(|m| &m.key == host)
            && helper_of(&text, Some(&helpers), host) == Some(HELPER)
        {
            text = json::remove_member(&text, &helpers, i);
        }
    }
    let (top, helpers) = read(&text)?;
    if record.created_key
        && let (Some(helpers), Some(i)) = (helpers, top.members.iter().position(|m| m.key == KEY))
        && helpers.members.is_empty()
    {
        text = json::remove_member(&text, &top, i);
    }
    if record.created_file
        && serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|v| v == serde_json::json!({}))
    {
        return Ok(Plan::Delete);
    }
    Ok(if text == original {
        Plan::Unchanged
    } else {
        Plan::Write(text)
    })
}

/// The hosts the file maps to awsproxy (`setup --status`).
pub(crate) fn configured(current: Option<&str>) -> Result<Vec<String>, Refusal> {
    let Some(text) = current else {
        return Ok(Vec::new());
    };
    let (_, helpers) = read(text)?;
    Ok(helpers
        .iter()
        .flat_map(|h| h.members.iter())
        .filter(|m| helper_of(text, helpers.as_ref(), &m.key) == Some(HELPER))
        .map(|m| m.key.clone())
        .collect())
}

/// The record's file name for a config file: one per path (DOCKER_CONFIG varies).
pub(crate) fn record_name(config: &std::path::Path) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(config.to_string_lossy().as_bytes());
    format!("docker-{}.json", hex::encode(&digest[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    const A: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const B: &str = "public.ecr.aws";

    fn write(plan: Plan) -> String {
        match plan {
            Plan::Write(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_new_file_gets_credhelpers_and_undo_deletes_it() {
        let (plan, record) = setup(None, &hosts(&[A, B]), None).unwrap();
        let text = write(plan);
        assert_eq!(
            text,
            format!(
                "{{\n\t\"credHelpers\": {{\n\t\t\"{A}\": \"awsproxy\",\n\t\t\"{B}\": \"awsproxy\"\n\t}}\n}}\n"
            )
        );
        assert!(record.created_file && record.created_key);
        assert_eq!(record.added, hosts(&[A, B]));
        assert_eq!(undo(Some(&text), Some(&record)).unwrap(), Plan::Delete);
    }

    #[test]
    fn other_keys_and_helpers_stay_byte_for_byte() {
        let original = "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t},\n\t\"psFormat\": \"table\"\n}\n";
        let (plan, record) = setup(Some(original), &hosts(&[A]), None).unwrap();
        let text = write(plan);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["credHelpers"][A], "awsproxy");
        assert_eq!(v["credHelpers"]["gcr.io"], "gcloud");
        assert_eq!(v["auths"]["ghcr.io"]["auth"], "eDp5");
        assert!(
            text.contains("\t\t\"gcr.io\": \"gcloud\",\n\t\t\"123456789012"),
            "{text}"
        );
        assert!(!record.created_key && !record.created_file);
        // Again: nothing to do, and the record still knows what was added.
        let (plan, again) = setup(Some(&text), &hosts(&[A]), Some(&record)).unwrap();
        assert_eq!(plan, Plan::Unchanged);
        assert_eq!(again, record);
        assert_eq!(write(undo(Some(&text), Some(&record)).unwrap()), original);
    }

    #[test]
    fn a_file_without_credhelpers_gets_one_and_loses_it_on_undo() {
        let original = "{\n  \"auths\": {},\n  \"credsStore\": \"desktop\"\n}";
        let (plan, record) = setup(Some(original), &hosts(&[B]), None).unwrap();
        let text = write(plan);
        assert!(
            text.ends_with("\"credsStore\": \"desktop\",\n  \"credHelpers\": {\n    \"public.ecr.aws\": \"awsproxy\"\n  }\n}"),
            "{text}"
        );
        assert_eq!(write(undo(Some(&text), Some(&record)).unwrap()), original);
        // `{}` stays `{}`.
        let (plan, record) = setup(Some("{}"), &hosts(&[B]), None).unwrap();
        assert_eq!(
            write(undo(Some(&write(plan)), Some(&record)).unwrap()),
            "{}"
        );
    }

    #[test]
    fn entries_the_user_changed_are_theirs_and_other_helpers_are_refused() {
        let (plan, record) = setup(None, &hosts(&[A, B]), None).unwrap();
        let text = write(plan).replace(
            &format!("\"{B}\": \"awsproxy\""),
            &format!("\"{B}\": \"ecr-login\""),
        );
        let left = write(undo(Some(&text), Some(&record)).unwrap());
        let v: serde_json::Value = serde_json::from_str(&left).unwrap();
        assert_eq!(v, serde_json::json!({"credHelpers": {B: "ecr-login"}}));

        let err = setup(Some(&text), &hosts(&[B]), None).unwrap_err();
        assert!(
            err.message.contains("docker-credential-ecr-login"),
            "{err:?}"
        );
        // Undo without a record touches nothing.
        assert_eq!(undo(Some(&text), None).unwrap(), Plan::Unchanged);
        assert_eq!(configured(Some(&text)).unwrap(), hosts(&[A]));
    }

    #[test]
    fn files_that_are_not_docker_config_are_refused() {
        for bad in [
            "",
            "[]",
            "{\"credHelpers\": []}",
            "{\"credHelpers\": {\"a\": 1}}",
            "{,}",
        ] {
            assert!(setup(Some(bad), &hosts(&[A]), None).is_err(), "{bad:?}");
        }
    }
}
