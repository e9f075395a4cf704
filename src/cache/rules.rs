//! `[[proxy.rule]]` compiled once at load: the first rule whose host, path and
//! method match a request picks its cache policy and key normalisation.
//!
//! Hosts match exactly (case-insensitive) or as `*.suffix` (any subdomain, not
//! the bare suffix). `path` is a glob (`*` within a segment, `**` across
//! segments, `?` one character); `path_regex` a regular expression (regex-lite
//! syntax) matched against the whole path.

use http::Method;
use regex_lite::Regex;

use crate::config::{CachePolicy, ProxyRule, ProxySection};

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    host: Option<String>,
    path: Option<Regex>,
    methods: Vec<Method>,
    pub policy: CachePolicy,
    pub ignore_query: Vec<String>,
    pub store_set_cookie: bool,
}

/// The ordered rules of `[proxy]`.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// What the rules chose for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub policy: CachePolicy,
    pub ignore_query: Vec<String>,
    /// Store responses with `Set-Cookie` (without it).
    pub store_set_cookie: bool,
    /// Index of the matching rule (`None`: the default, `standard`).
    pub rule: Option<usize>,
}

impl Rules {
    /// Compiles every rule; the error names the bad pattern (validation reports it
    /// with the rule's file position).
    pub fn compile(section: &ProxySection) -> Result<Self, String> {
        let rules = section
            .rule
            .iter()
            .map(Rule::compile)
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// The first matching rule's choice, or `standard` with no extra normalisation.
    pub fn select(&self, method: &Method, host: &str, path: &str) -> Selected {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(method, host, path))
            .map_or(
                Selected {
                    policy: CachePolicy::Standard,
                    ignore_query: Vec::new(),
                    store_set_cookie: false,
                    rule: None,
                },
                |(i, r)| Selected {
                    policy: r.policy,
                    ignore_query: r.ignore_query.clone(),
                    store_set_cookie: r.store_set_cookie,
                    rule: Some(i),
                },
            )
    }
}

impl Rule {
    /// Compiles one rule; `Err` says which pattern is invalid and why.
    pub fn compile(rule: &ProxyRule) -> Result<Self, String> {
        let path = match (&rule.path, &rule.path_regex) {
            (Some(glob), _) => Some(glob_to_regex(glob)?),
            (None, Some(re)) => Some(
                Regex::new(&format!("^(?:{re})$"))
                    .map_err(|e| format!("`{re}` is not a valid regular expression: {e}"))?,
            ),
            (None, None) => None,
        };
        let methods = rule
            .method
            .iter()
            .map(|m| {
                Method::from_bytes(m.as_bytes()).map_err(|_| format!("`{m}` is not an HTTP method"))
            })
            .collect::<Result<_, _>>()?;
        if let Some(host) = &rule.host
            && (host.is_empty() || host.strip_prefix("*.").unwrap_or(host).contains('*'))
        {
            return Err(format!(
                "`{host}` is not a host pattern: use `example.com` or `*.example.com`"
            ));
        }
        Ok(Self {
            host: rule.host.as_ref().map(|h| h.to_ascii_lowercase()),
            path,
            methods,
            policy: rule.policy,
            ignore_query: rule.ignore_query.clone(),
            store_set_cookie: rule.store_set_cookie,
        })
    }

    fn matches(&self, method: &Method, host: &str, path: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            None => true,
            Some(pattern) => match pattern.strip_prefix("*.") {
                Some(suffix) => host
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
                None => *pattern == host,
            },
        };
        host_ok
            && (self.methods.is_empty() || self.methods.contains(method))
            && self.path.as_ref().is_none_or(|re| re.is_match(path))
    }
}

/// `*` = any characters but `/`, `**` = anything, `?` = one character but `/`.
fn glob_to_regex(glob: &str) -> Result<Regex, String> {
    if !glob.starts_with('/') && !glob.starts_with('*') {
        return Err(format!("path glob `{glob}` must start with `/`"));
    }
    let mut re = String::from("^");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex_lite::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| format!("path glob `{glob}` is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        host: Option<&str>,
        path: Option<&str>,
        regex: Option<&str>,
        policy: CachePolicy,
    ) -> ProxyRule {
        ProxyRule {
            host: host.map(str::to_owned),
            path: path.map(str::to_owned),
            path_regex: regex.map(str::to_owned),
            method: Vec::new(),
            policy,
            ignore_query: Vec::new(),
            store_set_cookie: false,
        }
    }

    fn rules(list: Vec<ProxyRule>) -> Rules {
        let section = ProxySection {
            rule: list,
            ..ProxySection::default()
        };
        Rules::compile(&section).unwrap()
    }

    #[test]
    fn first_matching_rule_wins_and_default_is_standard() {
        let r = rules(vec![
            rule(
                Some("files.example.com"),
                Some("/packages/**"),
                None,
                CachePolicy::NoRefresh,
            ),
            rule(Some("*.example.com"), None, None, CachePolicy::NoCache),
        ]);
        let get = Method::GET;
        assert_eq!(
            r.select(&get, "FILES.example.com", "/packages/a/b.whl")
                .policy,
            CachePolicy::NoRefresh
        );
        assert_eq!(
            r.select(&get, "files.example.com", "/simple/").policy,
            CachePolicy::NoCache
        );
        assert_eq!(r.select(&get, "a.b.example.com", "/").rule, Some(1));
        // `*.example.com` does not match the bare domain or look-alikes.
        assert_eq!(
            r.select(&get, "example.com", "/").policy,
            CachePolicy::Standard
        );
        assert_eq!(r.select(&get, "badexample.com", "/").rule, None);
    }

    #[test]
    fn globs_keep_single_stars_within_a_segment() {
        let r = rules(vec![rule(
            None,
            Some("/a/*.tgz"),
            None,
            CachePolicy::NoRefresh,
        )]);
        assert_eq!(r.select(&Method::GET, "h", "/a/x.tgz").rule, Some(0));
        assert_eq!(r.select(&Method::GET, "h", "/a/b/x.tgz").rule, None);
        assert_eq!(r.select(&Method::GET, "h", "/a/x.tgz.sig").rule, None);
    }

    #[test]
    fn regexes_match_the_whole_path_and_methods_filter() {
        let mut re = rule(None, None, Some(r"/v\d+/.*"), CachePolicy::AlwaysUpstream);
        re.method = vec!["GET".into()];
        let r = rules(vec![re]);
        assert_eq!(r.select(&Method::GET, "h", "/v2/x").rule, Some(0));
        assert_eq!(r.select(&Method::GET, "h", "/api/v2/x").rule, None);
        assert_eq!(r.select(&Method::POST, "h", "/v2/x").rule, None);
    }

    #[test]
    fn invalid_patterns_are_errors() {
        for bad in [
            rule(None, None, Some("(unclosed"), CachePolicy::Standard),
            rule(None, Some("no-slash"), None, CachePolicy::Standard),
            rule(Some("a.*.com"), None, None, CachePolicy::Standard),
        ] {
            assert!(Rule::compile(&bad).is_err(), "{bad:?}");
        }
    }
}
