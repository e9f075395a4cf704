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
    assert!(key.starts_with("maven2/"), "{key}");
    // Separators come only from the request's own `/`: nothing decodes into one.
    assert_eq!(
        key.trim_start_matches("maven2/").matches('/').count(),
        raw.matches('/').count(),
        "{raw:?} -> {key}"
    );
    let rest = key.trim_start_matches("maven2/").trim_end_matches('/');
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
