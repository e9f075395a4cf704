//! A Maven request path either is refused or maps to a key strictly under the
//! mount's prefix, with no `.`/`..`/empty segments and no separator the request
//! didn't spell as `/`.
#![no_main]

use awsproxy_fuzz::maven::path::RepoPath;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = RepoPath::parse(raw) else {
        return;
    };
    let key = path.key("maven2");
    let Some(under) = key.strip_prefix("maven2/") else {
        panic!("{key}");
    };
    // Separators come only from the request's own `/`: nothing decodes into one
    // (normalising may drop some, never add).
    assert!(
        under.matches('/').count() <= raw.matches('/').count(),
        "{raw:?} -> {key}"
    );
    let rest = under.trim_end_matches('/');
    if !rest.is_empty() {
        for segment in rest.split('/') {
            assert!(
                !segment.is_empty() && segment != "." && segment != "..",
                "{key}"
            );
            assert!(
                !segment.contains('\\') && !segment.chars().any(char::is_control),
                "{key}"
            );
        }
    }
});
