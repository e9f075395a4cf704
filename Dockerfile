# awsproxy as a shared service: `awsproxy serve` with its configuration mounted
# at /etc/awsproxy/config.toml (deploy/ has a compose file and Kubernetes
# manifests; the README's "Running as a service" says how to run it).
#
#   docker build -t awsproxy .
#   docker run -v ./config.toml:/etc/awsproxy/config.toml:ro -p 9000:9000 awsproxy
#
# Podman and Buildah keep the HEALTHCHECK only with `--format docker`. Without
# a registry, pass bases of your own: --build-arg RUST_IMAGE=... BASE_IMAGE=...

ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

# Build: the same Debian release as the runtime, so the binary's glibc matches.
FROM ${RUST_IMAGE} AS build
WORKDIR /src
# What the build reads (the manifest names tests/fake_aws.rs, so tests/ too);
# the crate registry and target/ are caches kept between builds, so a rebuild
# compiles only awsproxy itself. COPY keeps the files' times, which can be older
# than the cached build of them: touching the crate roots makes cargo rebuild
# awsproxy from what was copied.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY tests ./tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    touch src/lib.rs src/main.rs \
    && cargo build --release --locked --bin awsproxy \
    && install -D -m 0755 target/release/awsproxy /out/awsproxy

# Runtime: Debian slim, CA certificates (for AWS and the upstreams), the binary.
FROM ${BASE_IMAGE}
# Unpinned on purpose: the suite's current ca-certificates is the one to trust.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 awsproxy \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/awsproxy \
        --shell /usr/sbin/nologin awsproxy \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/awsproxy /var/cache/awsproxy \
    && install -d -m 0755 /etc/awsproxy
COPY --from=build /out/awsproxy /usr/local/bin/awsproxy

# Where awsproxy keeps its files (README "Files"): the cache (and CodeArtifact
# tokens) under /var/cache/awsproxy, a volume; the interception CA (ca.pem,
# ca-key.pem) and state under /var/lib/awsproxy. JSON logs, one object a line,
# for the container runtime.
ENV HOME=/var/lib/awsproxy \
    XDG_CACHE_HOME=/var/cache \
    XDG_DATA_HOME=/var/lib \
    AWSPROXY_CONFIG=/etc/awsproxy/config.toml \
    AWSPROXY_LOG_FORMAT=json
VOLUME ["/var/cache/awsproxy"]

# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /var/lib/awsproxy

# The forward proxy, the repository listener, the status/metrics listener.
EXPOSE 3128 9000 9464

# The image has no curl: awsproxy probes its own liveness (`[metrics] listen`).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/awsproxy", "doctor", "--probe", "http://127.0.0.1:9464/livez"]

# SIGTERM (the default stop signal) drains: see `[server] drain`.
ENTRYPOINT ["/usr/local/bin/awsproxy"]
CMD ["serve"]
