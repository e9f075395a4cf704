"""npm through awsproxy's npm proxy: a small registry upstream that only accepts
`Bearer <token>` (the token the CodeArtifact fake issues, fixed here), `awsproxy
serve` with a `[[repos.npm]]` mount, and the real `npm install` (its own
resolver, integrity checks and lockfile). A second install from an empty npm
cache succeeds with the upstream stopped (the tarballs come from awsproxy's cache).
"""

import base64
import hashlib
import io
import json
import os
import subprocess
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import Daemon, free_port

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDFAKESTATIC", "AWS_SECRET_ACCESS_KEY": "fake-static-secret-access-key"}
TOKEN = "interop-fixed-codeartifact-token"
NPM = os.environ.get("NPM_BIN", "/usr/bin/npm")


def make_tarball(name, version):
    manifest = json.dumps({"name": name, "version": version, "main": "index.js"}).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in [("package/package.json", manifest), ("package/index.js", b"module.exports = 42;\n")]:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def start_registry(port, packages):
    """`packages`: name -> (version, tarball bytes). Documents at `/NAME`
    (`/@s%2fp` for scoped), tarballs at `/NAME/-/FILE.tgz`."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
                self.end_headers()
                return
            path = self.path.split("?")[0].replace("%2f", "/").replace("%2F", "/").lstrip("/")
            base = f"http://127.0.0.1:{port}"
            if "/-/" in path:
                name, file = path.rsplit("/-/", 1)
                version, data = packages.get(name, (None, None))
                if data is None or file != f"{name.split('/')[-1]}-{version}.tgz":
                    self.send_response(404)
                    self.end_headers()
                    return
                body, ctype = data, "application/octet-stream"
            elif path in packages:
                version, data = packages[path]
                sri = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
                file = f"{path.split('/')[-1]}-{version}.tgz"
                doc = {
                    "name": path,
                    "dist-tags": {"latest": version},
                    "versions": {version: {
                        "name": path, "version": version,
                        "dist": {"tarball": f"{base}/{path}/-/{file}", "integrity": sri,
                                 "shasum": hashlib.sha1(data).hexdigest()},
                    }},
                }
                body, ctype = json.dumps(doc).encode(), "application/json"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def npm(env, cwd, cache, registry, *args):
    clean = {k: v for k, v in env.items() if not k.lower().startswith("npm_")}
    proc = subprocess.run(
        [NPM, "install", "--no-audit", "--no-fund", "--cache", str(cache), "--registry", registry, *args],
        cwd=cwd, env=clean, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_npm_install_through_the_proxy(fake_aws_factory, env, tmp_path):
    up_port = free_port()
    packages = {
        "demo-pkg": ("1.0.0", make_tarball("demo-pkg", "1.0.0")),
        "@corp/tool": ("2.1.0", make_tarball("@corp/tool", "2.1.0")),
    }
    upstream, seen = start_registry(up_port, packages)
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
        '[[repos.npm]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\n'
    )
    serve = Daemon(e, "--config", str(cfg), "serve")
    registry = f"{serve.url('repository listener')}/npm/corp/"
    try:
        for run in ("one", "two"):
            proj = tmp_path / run
            proj.mkdir()
            (proj / "package.json").write_text('{"name": "proj", "version": "0.0.0"}')
            if run == "two":
                upstream.shutdown()
                upstream.server_close()
            npm(e, proj, tmp_path / f"cache-{run}", registry, "demo-pkg", "@corp/tool")
            assert json.loads((proj / "node_modules" / "demo-pkg" / "package.json").read_text())["version"] == "1.0.0"
            assert (proj / "node_modules" / "@corp" / "tool" / "index.js").exists()
            lock = (proj / "package-lock.json").read_text()
            assert f"127.0.0.1:{up_port}" not in lock and TOKEN not in lock, lock
            assert "/npm/corp/-/@corp/tool/-/tool-2.1.0.tgz" in lock, lock
        assert any(p.endswith("demo-pkg-1.0.0.tgz") for p in seen)
    finally:
        serve.stop()
    assert TOKEN not in serve.log(), serve.log()
