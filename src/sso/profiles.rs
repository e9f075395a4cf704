//! Profiles generated from what an SSO session can reach, pure: their names
//! (from a template, normalised to what the AWS CLI accepts, clashes
//! numbered), and the `[profile …]` sections `sso profiles --write` keeps in
//! its marked block of `~/.aws/config`.

use std::collections::BTreeSet;

use serde::Serialize;

/// The default name template.
pub const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

/// One account and role the session can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub account_id: String,
    pub account_name: String,
    pub role_name: String,
}

/// An assignment with the profile name it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub profile: String,
    #[serde(flatten)]
    pub assignment: Assignment,
}

/// The placeholders a template may use.
const PLACEHOLDERS: [&str; 4] = ["{account_name}", "{account_id}", "{role_name}", "{session}"];

/// Checks a template: it must use at least one of the assignment's
/// placeholders and no unknown `{…}`.
pub fn check_template(template: &str) -> Result<(), String> {
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else {
            return Err(format!("`{template}` has a `{{` without its `}}`"));
        };
        let name = &rest[i..i + j + 1];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{name}` is not a placeholder (use {})",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &rest[i + j + 1..];
    }
    if !["{account_name}", "{account_id}"]
        .iter()
        .any(|p| template.contains(p))
        || !template.contains("{role_name}")
    {
        return Err(format!(
            "`{template}` must name the account (`{{account_name}}` or `{{account_id}}`) and `{{role_name}}`, or profiles would clash"
        ));
    }
    Ok(())
}

/// A profile name the AWS CLI and SDKs take without quoting: letters,
/// digits, `-`, `_`, `.`, `@`, `+`; anything else (spaces, brackets, `/`)
/// becomes `-`, runs of `-` collapse, and none is left at either end.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '+');
        if keep {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Names for every assignment, in order: `prefix` + the template, normalised;
/// a name taken (by an earlier assignment or by a profile of the user's own
/// in `taken`) gets `-2`, `-3`, ….
pub fn name_all(
    assignments: &[Assignment],
    template: &str,
    prefix: &str,
    session: &str,
    taken: &BTreeSet<String>,
) -> Vec<Generated> {
    let mut used = taken.clone();
    assignments
        .iter()
        .map(|a| {
            let raw = template
                .replace("{account_name}", &a.account_name)
                .replace("{account_id}", &a.account_id)
                .replace("{role_name}", &a.role_name)
                .replace("{session}", session);
            let base = normalise(&format!("{prefix}{raw}"));
            let base = if base.is_empty() {
                normalise(&format!("{}-{}", a.account_id, a.role_name))
            } else {
                base
            };
            let mut name = base.clone();
            let mut n = 2;
            while used.contains(&name) {
                name = format!("{base}-{n}");
                n += 1;
            }
            used.insert(name.clone());
            Generated {
                profile: name,
                assignment: a.clone(),
            }
        })
        .collect()
}

/// The block's body: one `[profile …]` per generated name, using the
/// session by name (the AWS CLI v2 and SDKs refresh through it).
pub fn block_body(generated: &[Generated], session: &str, region: &str) -> String {
    let mut out = String::new();
    for g in generated {
        out.push_str(&format!(
            "[profile {}]\nsso_session = {session}\nsso_account_id = {}\nsso_role_name = {}\nregion = {region}\n\n",
            g.profile, g.assignment.account_id, g.assignment.role_name
        ));
    }
    // No blank line before the end marker.
    if out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(id: &str, name: &str, role: &str) -> Assignment {
        Assignment {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
        }
    }

    #[test]
    fn names_are_normalised_and_clashes_numbered() {
        let all = [
            a("111111111111", "Prod Account (EU)", "Admin"),
            a("222222222222", "prod account eu", "Admin"),
            a("333333333333", "dev", "Read/Only"),
            a("444444444444", "dev", "Read-Only"),
        ];
        let taken: BTreeSet<String> = ["dev-Read-Only".to_owned()].into();
        let names: Vec<String> = name_all(&all, DEFAULT_TEMPLATE, "", "corp", &taken)
            .into_iter()
            .map(|g| g.profile)
            .collect();
        assert_eq!(
            names,
            [
                "Prod-Account-EU-Admin",
                "prod-account-eu-Admin",
                "dev-Read-Only-2",
                "dev-Read-Only-3"
            ]
        );
        let prefixed = name_all(
            &all[..1],
            "{account_id}/{role_name}",
            "sso-",
            "corp",
            &BTreeSet::new(),
        );
        assert_eq!(prefixed[0].profile, "sso-111111111111-Admin");
    }

    #[test]
    fn templates_must_tell_profiles_apart() {
        assert!(check_template(DEFAULT_TEMPLATE).is_ok());
        assert!(check_template("{session}.{account_id}.{role_name}").is_ok());
        assert!(check_template("{account_name}").is_err());
        assert!(check_template("{account}-{role_name}").is_err());
        assert!(check_template("{account_id-{role_name}").is_err());
    }

    #[test]
    fn the_block_has_one_section_per_profile() {
        let g = name_all(
            &[a("111111111111", "prod", "Admin")],
            DEFAULT_TEMPLATE,
            "",
            "corp",
            &BTreeSet::new(),
        );
        assert_eq!(
            block_body(&g, "corp", "eu-west-1"),
            "[profile prod-Admin]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = eu-west-1\n"
        );
        assert_eq!(block_body(&[], "corp", "eu-west-1"), "");
    }
}
