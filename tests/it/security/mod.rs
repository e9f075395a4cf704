//! Attack tests: each security property of awsproxy written as the attacker's
//! requests against the real listeners (the binary under `serve`, or the real
//! routers on 127.0.0.1), asserting the secure outcome and that normal use still
//! works. SECURITY.md maps every promise of the threat model to a test here.
//!
//! | file | who attacks | what |
//! |---|---|---|
//! | `cache.rs` | a proxy client, a malicious origin, a teammate with bucket access | presigned entries, `Set-Cookie`, key namespaces, signed entries, bans |
//! | `forward.rs` | a proxy client | `Host` vs the request target, loopback and link-local destinations |
//! | `repos.rs` | a web page in the user's browser, a malicious origin | uploads, seed URLs, `+f/` paths, redirects, Maven `%2f` |
//! | `listeners.rs` | a web page (DNS rebinding), any local process | `Host` checks, browser headers, redaction, PKCE callbacks |
//! | `slowloris.rs` | any local process | half-sent requests, idle connections and tunnels, descriptor exhaustion |

mod cache;
mod forward;
mod listeners;
mod repos;
mod slowloris;
