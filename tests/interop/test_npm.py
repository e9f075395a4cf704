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

from conftest import Daemon, codeartifact_env, free_port, mount_config

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDFAKESTATIC", "AWS_SECRET_ACCESS_KEY": "fake-static-secret-access-key"}
TOKEN = "interop-fixed-codeartifact-token"
NPM = os.environ.get("NPM_BIN", "/usr/bin/npm")


def make_tarball(name, version, dependencies=None):
    manifest = {"name": name, "version": version, "main": "index.js"}
    if dependencies:
        manifest["dependencies"] = dependencies
    manifest = json.dumps(manifest).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in [("package/package.json", manifest), ("package/index.js", b"module.exports = 42;\n")]:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def start_registry(port, packages):
    """`packages`: name -> (version, tarball bytes[, dependencies]). Documents
    at `/NAME` (`/@s%2fp` for scoped), tarballs at `/NAME/-/FILE.tgz`; `PUT
    /NAME` (`npm publish`) adds a package. `seen` lists the paths asked for."""
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
                version, data = packages.get(name, (None, None))[:2]
                if data is None or file != f"{name.split('/')[-1]}-{version}.tgz":
                    self.send_response(404)
                    self.end_headers()
                    return
                body, ctype = data, "application/octet-stream"
            elif path in packages:
                version, data = packages[path][:2]
                deps = packages[path][2] if len(packages[path]) > 2 else {}
                sri = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
                file = f"{path.split('/')[-1]}-{version}.tgz"
                doc = {
                    "name": path,
                    "dist-tags": {"latest": version},
                    "versions": {version: {
                        "name": path, "version": version, "dependencies": deps,
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

        def do_PUT(self):
            seen.append("PUT " + self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
                self.end_headers()
                return
            doc = json.loads(body)
            version = doc["dist-tags"]["latest"]
            tarball = base64.b64decode(next(iter(doc["_attachments"].values()))["data"])
            deps = doc["versions"][version].get("dependencies", {})
            packages[doc["name"]] = (version, tarball, deps)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

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
    fake, e = codeartifact_env(fake_aws_factory, env, TOKEN, f"http://127.0.0.1:{up_port}/")
    cfg = mount_config(tmp_path / "config.toml", "npm", "corp")
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


def test_npm_publish_then_install_with_a_dependency_and_ci_from_the_lockfile(fake_aws_factory, env, tmp_path):
    """`npm publish` through a mount with `allow_publish` (npm sends a placeholder
    token; awsproxy sends the real one), then `npm install` of the new package
    resolves its dependency through the mount, `npm ci` rebuilds node_modules
    from the lockfile with an empty npm cache, and `npm dist-tag ls` reads the tags."""
    up_port = free_port()
    packages = {"demo-pkg": ("1.0.0", make_tarball("demo-pkg", "1.0.0"))}
    upstream, seen = start_registry(up_port, packages)
    _, e = codeartifact_env(fake_aws_factory, env, TOKEN, f"http://127.0.0.1:{up_port}/")
    port = free_port()
    cfg = mount_config(tmp_path / "config.toml", "npm", "corp", port=port, extra="allow_publish = true\n")
    serve = Daemon(e, "--config", str(cfg), "serve")
    registry = f"{serve.url('repository listener')}/npm/corp/"
    clean = {k: v for k, v in e.items() if not k.lower().startswith("npm_")}

    def run_npm(cwd, *args):
        proc = subprocess.run(
            [NPM, *args, "--no-audit", "--no-fund", "--registry", registry],
            cwd=cwd, env=clean, capture_output=True, text=True, timeout=180,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    try:
        lib = tmp_path / "lib"
        lib.mkdir()
        (lib / "package.json").write_text(json.dumps({
            "name": "@corp/lib", "version": "1.0.0", "main": "index.js",
            "dependencies": {"demo-pkg": "^1.0.0"},
        }))
        (lib / "index.js").write_text("module.exports = require('demo-pkg') + 1;\n")
        # npm needs some credential for the registry; any will do.
        (lib / ".npmrc").write_text(f"//127.0.0.1:{port}/npm/corp/:_authToken=placeholder\n")
        run_npm(lib, "publish", "--cache", str(tmp_path / "cache-pub"))
        assert "PUT /@corp%2flib" in seen, seen
        assert packages["@corp/lib"][0] == "1.0.0"

        app = tmp_path / "app"
        app.mkdir()
        (app / "package.json").write_text('{"name": "app", "version": "0.0.0"}')
        run_npm(app, "install", "--cache", str(tmp_path / "cache-app"), "@corp/lib")
        out = subprocess.run(["node", "-e", "console.log(require('@corp/lib'))"], cwd=app,
                             capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "43", out.stdout + out.stderr
        lock = (app / "package-lock.json").read_text()
        assert "/npm/corp/-/demo-pkg/-/demo-pkg-1.0.0.tgz" in lock, lock
        assert TOKEN not in lock and f"127.0.0.1:{up_port}" not in lock, lock

        import shutil
        shutil.rmtree(app / "node_modules")
        run_npm(app, "ci", "--cache", str(tmp_path / "cache-ci"))
        assert (app / "node_modules" / "demo-pkg" / "index.js").exists()
        assert (app / "node_modules" / "@corp" / "lib" / "index.js").exists()

        tags = run_npm(app, "dist-tag", "ls", "@corp/lib")
        assert "latest: 1.0.0" in tags.stdout, tags.stdout
    finally:
        upstream.shutdown()
        serve.stop()
    assert TOKEN not in serve.log(), serve.log()
