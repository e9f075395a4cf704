//! Checks of the cache settings that loosen a secure default: each is a
//! warning naming the setting, what it costs and how to undo it.

use super::Finding;
use crate::config::Config;

/// `[[proxy.rule]] store_set_cookie = true`: responses that set a cookie are
/// shared (without the cookie), so a page personalised for one user can be
/// served to another.
pub fn loosened(config: &Config) -> Vec<Finding> {
    let mut findings = Vec::new();
    let rules = config.file.proxy.as_ref().map_or(&[][..], |p| &p.rule[..]);
    for (i, rule) in rules.iter().enumerate() {
        if rule.store_set_cookie {
            findings.push(Finding::warn(
                format!("proxy.rule[{i}].store_set_cookie"),
                format!(
                    "responses that set a cookie are stored and shared (host {}, path {}); \
                     the cookie is stripped, but a page personalised for one user may reach another",
                    rule.host.as_deref().unwrap_or("any"),
                    rule.path
                        .as_deref()
                        .or(rule.path_regex.as_deref())
                        .unwrap_or("any"),
                ),
                "remove `store_set_cookie` unless those responses are the same for every user",
            ));
        }
    }
    findings
}
