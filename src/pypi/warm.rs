//! What `awsproxy cache warm` fetches: the projects (and pinned versions or
//! exact files) a requirements file or a lockfile names, and which of a
//! project's files to fetch for them. Pure: the command does the I/O.
//!
//! - `requirements.txt`: one project per line; a `==VERSION` pin selects that
//!   version's files, an unpinned line warms the project page only (pin with
//!   `pip freeze`, `pip-compile` or `uv pip compile` to warm files). `-r`/`-c`
//!   lines name further files (returned to the caller); other options, URLs,
//!   paths and `name @ url` references are skipped.
//! - `uv.lock` and `poetry.lock`: each package's version and the exact file
//!   names the lock lists.
//! - Wheels are kept when their platform tag is `any` or this machine's (OS
//!   and architecture, every Python version), unless all platforms are asked
//!   for; a version's sdist only when none of its wheels is kept.

use serde::Deserialize;

use super::names::normalize;

/// One project to warm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// PEP 503-normalised.
    pub name: String,
    /// The version whose files to fetch; `None`: the page only.
    pub version: Option<String>,
    /// Exact file names (from a lockfile); empty: every file of `version`.
    pub files: Vec<String>,
}

/// A requirements file's projects, and the files its `-r`/`-c` lines name
/// (as written, relative to the file's directory).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Requirements {
    pub wanted: Vec<Wanted>,
    pub includes: Vec<String>,
    /// Lines that name no index project (URLs, paths, direct references).
    pub skipped: Vec<String>,
}

/// Parses a pip requirements file.
pub fn requirements(text: &str) -> Requirements {
    let mut out = Requirements::default();
    // Continuation lines (`\` at the end) join the next one.
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for raw in joined.lines() {
        // `#` starts a comment at the start of a line or after whitespace.
        let line = match raw.find(" #").or_else(|| raw.find("\t#")) {
            Some(i) => &raw[..i],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        }
        .trim();
        if line.is_empty() {
            continue;
        }
        if let Some(opt) = line.strip_prefix('-') {
            let (flag, value) = split_option(opt);
            if matches!(flag, "r" | "-requirement" | "c" | "-constraint") && !value.is_empty() {
                out.includes.push(value.to_owned());
            }
            continue;
        }
        match requirement(line) {
            Some(w) => out.wanted.push(w),
            None => out.skipped.push(line.to_owned()),
        }
    }
    out
}

/// `r file`, `r=file`, `-requirement file` → (flag, value).
fn split_option(opt: &str) -> (&str, &str) {
    let end = opt
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(opt.len());
    let (flag, rest) = opt.split_at(end);
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '=');
    // `-rfile` is pip's short form too.
    match flag.strip_prefix('r').or_else(|| flag.strip_prefix('c')) {
        Some(attached) if !attached.is_empty() && !flag.starts_with('-') => (&flag[..1], attached),
        _ => (flag, rest.trim()),
    }
}

/// One requirement line: `name[extras] specifiers ; markers`.
fn requirement(line: &str) -> Option<Wanted> {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(line.len());
    let name = &line[..end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = line[end..].trim_start();
    if rest.starts_with("://") || rest.starts_with('/') || rest.starts_with(':') {
        return None;
    }
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']').map_or("", |(_, r)| r).trim_start();
    }
    // Per-requirement options (`--hash=…`) follow the specifiers.
    let spec = rest.split(';').next().unwrap_or_default();
    let spec = spec.split(" --").next().unwrap_or_default().trim();
    if spec.starts_with('@') {
        return None;
    }
    let version = match spec.strip_prefix("===").or_else(|| spec.strip_prefix("==")) {
        Some(v) if !v.contains([',', '*']) && !v.trim().is_empty() => Some(v.trim().to_owned()),
        _ => None,
    };
    Some(Wanted {
        name: normalize(name),
        version,
        files: Vec::new(),
    })
}

/// What `uv.lock` and `poetry.lock` share: `[[package]]` tables.
#[derive(Deserialize)]
struct Lock<P> {
    #[serde(default = "Vec::new")]
    package: Vec<P>,
}

/// A `uv.lock` file's packages from an index, with the files it lists.
pub fn uv_lock(text: &str) -> Result<Vec<Wanted>, toml::de::Error> {
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: Option<String>,
        #[serde(default)]
        source: toml::Table,
        sdist: Option<File>,
        #[serde(default)]
        wheels: Vec<File>,
    }
    #[derive(Deserialize)]
    struct File {
        url: Option<String>,
    }
    let lock: Lock<Package> = toml::from_str(text)?;
    Ok(lock
        .package
        .into_iter()
        // Editable, path, git and direct-URL packages aren't on an index.
        .filter(|p| p.source.contains_key("registry"))
        .map(|p| Wanted {
            name: normalize(&p.name),
            version: p.version,
            files: p
                .sdist
                .into_iter()
                .chain(p.wheels)
                .filter_map(|f| f.url)
                .filter_map(|u| {
                    let file = u.split(['#', '?']).next()?.rsplit('/').next()?;
                    Some(percent_decode(file))
                })
                .collect(),
        })
        .collect())
}

/// A `poetry.lock` file's packages with the files it lists.
pub fn poetry_lock(text: &str) -> Result<Vec<Wanted>, toml::de::Error> {
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
        #[serde(default)]
        files: Vec<File>,
        source: Option<toml::Table>,
    }
    #[derive(Deserialize)]
    struct File {
        file: String,
    }
    let lock: Lock<Package> = toml::from_str(text)?;
    Ok(lock
        .package
        .into_iter()
        .filter(|p| {
            p.source
                .as_ref()
                .is_none_or(|s| s.get("type").and_then(|t| t.as_str()) == Some("legacy"))
        })
        .map(|p| Wanted {
            name: normalize(&p.name),
            version: Some(p.version),
            files: p.files.into_iter().map(|f| f.file).collect(),
        })
        .collect())
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| s.to_owned(), |(_, v)| v.into_owned())
}

/// Which wheels to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platforms {
    /// `any` and this machine's OS and architecture.
    This,
    All,
}

/// The version in a distribution's file name (`NAME-VERSION-….whl`,
/// `NAME-VERSION.tar.gz`), if it is one.
pub fn file_version(filename: &str) -> Option<&str> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        return stem.split('-').nth(1);
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))?;
    stem.rsplit_once('-').map(|(_, v)| v)
}

/// Whether a wheel's platform tag fits `platforms` (sdists always do).
pub fn fits(filename: &str, platforms: Platforms) -> bool {
    let Some(stem) = filename.strip_suffix(".whl") else {
        return true;
    };
    if platforms == Platforms::All {
        return true;
    }
    let Some(tag) = stem.rsplit('-').next() else {
        return false;
    };
    tag.split('.').any(|t| t == "any" || this_machine(t))
}

fn this_machine(tag: &str) -> bool {
    let os = match std::env::consts::OS {
        "linux" => tag.contains("linux"),
        "macos" => tag.starts_with("macosx"),
        "windows" => tag.starts_with("win"),
        _ => false,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => tag.ends_with("x86_64") || tag.ends_with("amd64") || tag.ends_with("intel"),
        "aarch64" => tag.ends_with("aarch64") || tag.ends_with("arm64"),
        "x86" => tag.ends_with("i686") || tag.ends_with("win32"),
        other => tag.ends_with(other),
    };
    os && (arch || tag.ends_with("universal2"))
}

/// The files of `want` among a page's `(filename, url)` pairs.
pub fn choose<'a>(
    want: &Wanted,
    files: &'a [(String, String)],
    platforms: Platforms,
) -> Vec<&'a (String, String)> {
    let Some(version) = &want.version else {
        return Vec::new();
    };
    let of_version: Vec<_> = files
        .iter()
        .filter(|(f, _)| {
            if want.files.is_empty() {
                file_version(f).is_some_and(|v| v.eq_ignore_ascii_case(version))
            } else {
                want.files.iter().any(|w| w == f)
            }
        })
        .collect();
    let wheels: Vec<_> = of_version
        .iter()
        .copied()
        .filter(|(f, _)| f.ends_with(".whl") && fits(f, platforms))
        .collect();
    if wheels.is_empty() {
        of_version
            .into_iter()
            .filter(|(f, _)| !f.ends_with(".whl"))
            .collect()
    } else {
        wheels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str, version: Option<&str>) -> Wanted {
        Wanted {
            name: name.into(),
            version: version.map(str::to_owned),
            files: Vec::new(),
        }
    }

    #[test]
    fn requirements_pins_extras_markers_options_and_includes() {
        let text = "# a comment\n\
                    Requests[socks]==2.32.3 ; python_version >= '3.8'  # pinned\n\
                    urllib3>=2,<3\n\
                    Django===5.0\n\
                    numpy==2.*\n\
                    boto3 == 1.35.0 \\\n    --hash=sha256:abc\n\
                    -r more.txt\n\
                    --constraint=c.txt\n\
                    -rother.txt\n\
                    --index-url http://x/simple/\n\
                    -e ./local\n\
                    ./wheels/x.whl\n\
                    https://example.com/x.whl\n\
                    pkg @ https://example.com/pkg.whl\n";
        let r = requirements(text);
        assert_eq!(
            r.wanted,
            [
                w("requests", Some("2.32.3")),
                w("urllib3", None),
                w("django", Some("5.0")),
                w("numpy", None),
                w("boto3", Some("1.35.0")),
            ]
        );
        assert_eq!(r.includes, ["more.txt", "c.txt", "other.txt"]);
        assert_eq!(
            r.skipped,
            [
                "./wheels/x.whl",
                "https://example.com/x.whl",
                "pkg @ https://example.com/pkg.whl"
            ]
        );
    }

    #[test]
    fn uv_and_poetry_locks_list_registry_packages_and_their_files() {
        let uv = r#"
version = 1
[[package]]
name = "Demo_Pkg"
version = "1.0"
source = { registry = "http://127.0.0.1:9000/pypi/corp/simple/" }
sdist = { url = "http://127.0.0.1:9000/pypi/corp/+f/demo-pkg/demo_pkg-1.0.tar.gz#sha256=aa", hash = "sha256:aa" }
wheels = [{ url = "http://h/f/demo_pkg-1.0-py3-none-any.whl", hash = "sha256:bb" }]
[[package]]
name = "mine"
version = "0.1"
source = { editable = "." }
"#;
        assert_eq!(
            uv_lock(uv).unwrap(),
            [Wanted {
                name: "demo-pkg".into(),
                version: Some("1.0".into()),
                files: vec![
                    "demo_pkg-1.0.tar.gz".into(),
                    "demo_pkg-1.0-py3-none-any.whl".into()
                ],
            }]
        );
        let poetry = r#"
[[package]]
name = "idna"
version = "3.7"
files = [{ file = "idna-3.7-py3-none-any.whl", hash = "sha256:cc" }]
[[package]]
name = "local"
version = "0.1"
files = []
[package.source]
type = "directory"
url = "../local"
"#;
        assert_eq!(
            poetry_lock(poetry).unwrap(),
            [Wanted {
                name: "idna".into(),
                version: Some("3.7".into()),
                files: vec!["idna-3.7-py3-none-any.whl".into()],
            }]
        );
        assert!(uv_lock("[[package]\n").is_err());
    }

    #[test]
    fn versions_and_platforms_choose_the_files() {
        let files: Vec<(String, String)> = [
            "demo-1.0-py3-none-any.whl",
            "demo-1.0.tar.gz",
            "demo-0.9.tar.gz",
            "demo-1.0-cp312-cp312-win_amd64.whl",
        ]
        .iter()
        .map(|f| (f.to_string(), format!("/f/{f}")))
        .collect();
        let names =
            |v: Vec<&(String, String)>| v.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
        assert!(choose(&w("demo", None), &files, Platforms::This).is_empty());
        let one = names(choose(&w("demo", Some("1.0")), &files, Platforms::This));
        #[cfg(not(windows))]
        assert_eq!(one, ["demo-1.0-py3-none-any.whl"]);
        assert_eq!(
            names(choose(&w("demo", Some("1.0")), &files, Platforms::All)),
            [
                "demo-1.0-py3-none-any.whl",
                "demo-1.0-cp312-cp312-win_amd64.whl"
            ]
        );
        assert_eq!(
            names(choose(&w("demo", Some("0.9")), &files, Platforms::This)),
            ["demo-0.9.tar.gz"]
        );
        let exact = Wanted {
            files: vec!["demo-1.0.tar.gz".into()],
            ..w("demo", Some("1.0"))
        };
        assert_eq!(
            names(choose(&exact, &files, Platforms::This)),
            ["demo-1.0.tar.gz"]
        );
        assert_eq!(
            file_version("numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            Some("2.1.0")
        );
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        {
            assert!(fits(
                "n-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                Platforms::This
            ));
            assert!(!fits(
                "n-1-cp312-cp312-macosx_11_0_arm64.whl",
                Platforms::This
            ));
            assert!(!fits(
                "n-1-cp312-cp312-manylinux_2_17_aarch64.whl",
                Platforms::This
            ));
        }
    }
}
