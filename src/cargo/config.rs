//! The registry's `config.json`, rewritten for the client: `dl` and `api`
//! point at the mount, `auth-required` is dropped (the proxy adds the token
//! upstream, so cargo must send none), every other key is kept byte for byte
//! (as raw JSON: a number is not re-rounded through `f64`).

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The upstream `config.json` as the proxy reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The `dl` template.
    pub dl: String,
    pub api: Option<String>,
}

/// Reads the upstream `config.json` (`dl` is required).
pub fn parse(body: &[u8]) -> Option<Upstream> {
    let v: Map<String, Value> = serde_json::from_slice(body).ok()?;
    Some(Upstream {
        dl: v.get("dl")?.as_str()?.to_owned(),
        api: v.get("api").and_then(Value::as_str).map(str::to_owned),
    })
}

/// The client's `config.json`: `dl` = `{local}api/v1/crates` (cargo appends
/// `/{crate}/{version}/download`), `api` = `local` without its trailing `/`
/// (cargo appends `/api/v1/...`), no `auth-required`. `local` is the
/// client-facing base, e.g. `http://127.0.0.1:9000/cargo/NAME/`.
pub fn rewrite(body: &[u8], local: &str) -> Option<Vec<u8>> {
    parse(body)?;
    let mut v: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(body).ok()?;
    v.remove("auth-required");
    let raw = |s: &str| RawValue::from_string(serde_json::to_string(s).ok()?).ok();
    v.insert("dl".to_owned(), raw(&format!("{local}api/v1/crates"))?);
    v.insert("api".to_owned(), raw(local.trim_end_matches('/'))?);
    serde_json::to_vec(&v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_dl_api_and_drops_auth() {
        let up = br#"{"dl":"https://d-1.codeartifact.us-east-1.amazonaws.com/cargo/r/api/v1/crates/{crate}/{version}/download","api":"https://d-1.codeartifact.us-east-1.amazonaws.com/cargo/r/","auth-required":true,"other":[1]}"#;
        let out = rewrite(up, "http://127.0.0.1:9000/cargo/x/").unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["dl"], "http://127.0.0.1:9000/cargo/x/api/v1/crates");
        assert_eq!(v["api"], "http://127.0.0.1:9000/cargo/x");
        assert!(v.get("auth-required").is_none());
        assert_eq!(v["other"], serde_json::json!([1]));
        assert!(!String::from_utf8(out).unwrap().contains("amazonaws"));
        let p = parse(up).unwrap();
        assert!(p.dl.ends_with("{crate}/{version}/download"));
        assert!(p.api.is_some());
        assert!(rewrite(b"{}", "http://x/").is_none());
        assert!(rewrite(b"not json", "http://x/").is_none());
        assert!(parse(br#"{"dl":1}"#).is_none());
    }

    #[test]
    fn other_keys_keep_their_bytes() {
        // A number past f64's precision, seen re-rounded by a fuzzer when the
        // config went through `Value`.
        let big = "66666666666666666666666666666666666666666666666666666";
        let up = format!(r#"{{"dl":"https://x/","deps":[ 1,{big}],"a":1.0}}"#);
        let out = rewrite(up.as_bytes(), "http://127.0.0.1:9000/cargo/x/").unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(&format!(r#""deps":[ 1,{big}]"#)), "{out}");
        assert!(out.contains(r#""a":1.0"#), "{out}");
    }
}
