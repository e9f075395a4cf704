//! Attack tests: each security property of awsproxy written as the attacker's
//! requests against the real listeners (the binary under `serve`, or the real
//! routers on 127.0.0.1), asserting the secure outcome and that normal use still
//! works. SECURITY.md maps every promise of the threat model to a test here.
//!
//! | file | who attacks | what |
//! |---|---|---|
//! | `cache.rs` | a proxy client, a malicious origin | presigned entries, `Set-Cookie`, key namespaces, bans |
//! | `cache_signed.rs` | a teammate with write access to the shared S3 cache bucket | entries signed with `[cache] hmac_key` |
//! | `forward.rs` | a proxy client | `Host` vs the request target, loopback and link-local destinations |
//! | `repos.rs` | a web page in the user's browser, a malicious origin | uploads, seed URLs, `+f/` paths, redirects, Maven `%2f` |
//! | `listeners.rs` | a web page (DNS rebinding), any local process | `Host` checks, browser headers |
//! | `slowloris.rs` | any local process | half-sent requests, idle connections and tunnels, descriptor exhaustion |
//! | `secrets.rs` | whoever reads a diagnostic | userinfo of URLs in `doctor` and configuration errors |

mod cache;
mod cache_signed;
mod forward;
mod listeners;
mod repos;
mod secrets;
mod slowloris;
