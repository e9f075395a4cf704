//! Attack tests: secrets in diagnostics. Whoever reads a `doctor` report or a
//! configuration error (pasted into an issue, a CI log) must not learn the
//! password in a proxy URL.

use crate::support::TestContext;

const PASSWORD: &str = "s3cret-pw";

#[test]
fn doctor_never_shows_the_password_of_a_proxy_url() {
    let ctx = TestContext::new()
        .config(&format!(
            "[proxy]\nlisten = \"127.0.0.1:{}\"\nupstream_proxy = \"http://alice:{PASSWORD}@corp-proxy.example:3128\"\n",
            crate::doctor::free_port()
        ))
        .env("HTTPS_PROXY", format!("http://alice:{PASSWORD}@corp-proxy.example:8080"))
        // curl accepts a proxy without a scheme.
        .env("HTTP_PROXY", format!("alice:{PASSWORD}@corp-proxy.example:8081"));
    for args in [&["doctor", "--json"][..], &["doctor"][..]] {
        let out = ctx.run(args);
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(!text.contains(PASSWORD), "{args:?} {stream}: {text}");
        }
        // Still useful: the finding names the proxy it is about.
        assert!(
            out.stdout.contains("corp-proxy.example:8080"),
            "{args:?}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("corp-proxy.example:8081"),
            "{args:?}: {}",
            out.stdout
        );
    }
}

#[test]
fn a_configuration_error_never_shows_the_password_of_a_url() {
    let ctx = TestContext::new().config(&format!(
        "[proxy]\nupstream_proxy = \"ftp://alice:{PASSWORD}@corp-proxy.example:3128\"\n"
    ));
    for args in [&["config", "check"][..], &["doctor", "--json"][..]] {
        let out = ctx.run(args);
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(!text.contains(PASSWORD), "{args:?} {stream}: {text}");
        }
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains("upstream_proxy"), "{args:?}: {all}");
        assert!(
            all.contains("ftp://***@corp-proxy.example:3128"),
            "{args:?}: {all}"
        );
    }
}
