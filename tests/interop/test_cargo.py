"""Cargo through awsproxy's Cargo mount: a small sparse registry upstream that
only accepts `Bearer <token>` (the token the CodeArtifact fake issues, fixed
here) and says `auth-required`, `awsproxy serve` with a `[[repos.cargo]]` mount,
and the real cargo (its own resolver, checksum checks and lockfile): a build
that depends on a crate from the mount, `cargo publish` of a fresh crate and a
build that uses it, then a build with an empty cargo cache and the upstream
stopped (everything from awsproxy's cache).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import Daemon, free_port

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDFAKESTATIC", "AWS_SECRET_ACCESS_KEY": "fake-static-secret-access-key"}
TOKEN = "interop-fixed-codeartifact-token"
CARGO = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")


def make_crate(name, version, lib):
    """A `.crate` (gzipped tar of NAME-VERSION/) with a manifest and src/lib.rs."""
    manifest = f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n'.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, data in [("Cargo.toml", manifest), ("src/lib.rs", lib.encode())]:
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def index_path(name):
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"


def start_registry(port):
    """A sparse registry at `/`: `config.json`, index files, downloads at
    `/api/v1/crates/NAME/VERSION/download`, publish at `/api/v1/crates/new`."""
    crates = {}  # name -> {version: (index line, bytes)}
    seen = []
    base = f"http://127.0.0.1:{port}"

    def add(name, version, data, deps=()):
        line = {"name": name, "vers": version, "deps": list(deps),
                "cksum": hashlib.sha256(data).hexdigest(), "features": {}, "yanked": False}
        crates.setdefault(name, {})[version] = (line, data)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def authorized(self):
            seen.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.reply(401, b"unauthorized", "text/plain")
                return False
            return True

        def reply(self, status, body, ctype):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if not self.authorized():
                return
            path = self.path.split("?")[0].lstrip("/")
            if path == "config.json":
                body = json.dumps({"dl": f"{base}/api/v1/crates", "api": base, "auth-required": True})
                return self.reply(200, body.encode(), "application/json")
            if path.startswith("api/v1/crates/"):
                name, version, _ = path[len("api/v1/crates/"):].split("/")
                found = crates.get(name, {}).get(version)
                if found is None:
                    return self.reply(404, b"no such crate", "text/plain")
                return self.reply(200, found[1], "application/x-tar")
            for name, versions in crates.items():
                if index_path(name) == path:
                    body = "".join(json.dumps(line) + "\n" for line, _ in versions.values())
                    return self.reply(200, body.encode(), "text/plain")
            self.reply(404, b"not found", "text/plain")

        def do_PUT(self):
            if not self.authorized():
                return
            body = self.rfile.read(int(self.headers["Content-Length"]))
            (json_len,) = struct.unpack("<I", body[:4])
            meta = json.loads(body[4:4 + json_len])
            (crate_len,) = struct.unpack("<I", body[4 + json_len:8 + json_len])
            data = body[8 + json_len:8 + json_len + crate_len]
            add(meta["name"], meta["vers"], data)
            self.reply(200, b'{"warnings":{"invalid_categories":[],"invalid_badges":[],"other":[]}}', "application/json")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, add, seen


def cargo(env, cargo_home, cwd, *args):
    e = {k: v for k, v in env.items() if not k.startswith("CARGO")}
    e["CARGO_HOME"] = str(cargo_home)
    e["RUSTUP_HOME"] = os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))
    e["CARGO_TARGET_DIR"] = str(cwd / "target")
    e["CARGO_REGISTRIES_CORP_TOKEN"] = "unused-client-token"
    e["CARGO_TERM_COLOR"] = "never"
    proc = subprocess.run([CARGO, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def project(path, name, deps, main):
    path.mkdir(parents=True)
    (path / "src").mkdir()
    lines = "".join(f'{d} = {{ version = "0.1", registry = "corp" }}\n' for d in deps)
    (path / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n'
        f'description = "interop"\nlicense = "MIT"\npublish = ["corp"]\n\n[dependencies]\n{lines}'
    )
    (path / "src" / ("main.rs" if main else "lib.rs")).write_text(main or "pub fn seven() -> u32 { 7 }\n")
    return path


def cargo_home(path, registry):
    path.mkdir(parents=True)
    (path / "config.toml").write_text(f'[registries.corp]\nindex = "sparse+{registry}"\n')
    return path


def test_cargo_build_and_publish_through_the_proxy(fake_aws_factory, env, tmp_path):
    up_port = free_port()
    upstream, add, seen = start_registry(up_port)
    add("corp-dep", "0.1.0", make_crate("corp-dep", "0.1.0", "pub fn answer() -> u32 { 42 }\n"))
    fake = fake_aws_factory(
        "--codeartifact-fixed-token", TOKEN,
        "--codeartifact-endpoint", f"http://127.0.0.1:{up_port}/",
    )
    e = fake.env(env)
    e.update(STATIC)
    port = free_port()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[repos]\nlisten = "127.0.0.1:{port}"\n\n'
        '[[repos.cargo]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\nallow_publish = true\n'
    )
    serve = Daemon(e, "--config", str(cfg), "serve")
    registry = f"{serve.url('repository listener')}/cargo/corp/"
    try:
        home = cargo_home(tmp_path / "cargo-home", registry)
        app = project(tmp_path / "app", "app", ["corp-dep"],
                      'fn main() { assert_eq!(corp_dep::answer(), 42); }\n')
        cargo(e, home, app, "build")
        lock = (app / "Cargo.lock").read_text()
        assert f"sparse+{registry}" in lock, lock
        assert f"127.0.0.1:{up_port}" not in lock and TOKEN not in lock, lock
        assert ("GET", "/api/v1/crates/corp-dep/0.1.0/download") in seen

        # Publish a fresh crate, then build something that uses it.
        lib = project(tmp_path / "corp-new", "corp-new", [], None)
        cargo(e, home, lib, "publish", "--registry", "corp", "--no-verify", "--allow-dirty")
        assert any(m == "PUT" and p == "/api/v1/crates/new" for m, p in seen), seen
        user = project(tmp_path / "user", "user", ["corp-new"],
                       'fn main() { assert_eq!(corp_new::seven(), 7); }\n')
        cargo(e, home, user, "build")

        # An empty cargo cache and no upstream: awsproxy's cache answers.
        upstream.shutdown()
        upstream.server_close()
        cold = cargo_home(tmp_path / "cargo-home-cold", registry)
        again = project(tmp_path / "again", "again", ["corp-dep"],
                        'fn main() { assert_eq!(corp_dep::answer(), 42); }\n')
        cargo(e, cold, again, "build")
    finally:
        serve.stop()
    assert TOKEN not in serve.log(), serve.log()
