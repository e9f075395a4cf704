"""pip through awsproxy's PyPI proxy: a pypiserver upstream that only accepts
`aws:<token>` (the token the CodeArtifact fake issues, fixed here because
pypiserver needs its password up front), `awsproxy serve` with a `[[repos.pypi]]`
mount whose endpoint comes from `GetRepositoryEndpoint`, and pip's own resolver.
A second `pip download` succeeds with the upstream stopped (served from the cache).
"""

import base64
import json
import urllib.parse
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile

from conftest import Daemon, codeartifact_env, free_port, mount_config, wait_for_port

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDFAKESTATIC", "AWS_SECRET_ACCESS_KEY": "fake-static-secret-access-key"}
TOKEN = "interop-fixed-codeartifact-token"


def make_wheel(directory, name="demo_pkg", version="1.0"):
    """A minimal pure-Python wheel (no build backend needed)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: interop\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for p, data in files.items():
            z.writestr(p, data)
    return path


def start_pypiserver(tmp_path, port):
    from passlib.apache import HtpasswdFile

    packages = tmp_path / "packages"
    packages.mkdir()
    make_wheel(packages)
    htpasswd = tmp_path / "htpasswd.txt"
    ht = HtpasswdFile(str(htpasswd), new=True)
    ht.set_password("aws", TOKEN)
    ht.save()
    server = os.path.join(os.path.dirname(sys.executable), "pypi-server")
    proc = subprocess.Popen(
        [server, "run", "-i", "127.0.0.1", "-p", str(port), "-P", str(htpasswd),
         "-a", "download,list,update", str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc


def pip(env, *args):
    clean = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir", *args],
        env=clean, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_pip_install_and_download_through_the_proxy(fake_aws_factory, env, tmp_path):
    up_port = free_port()
    upstream = start_pypiserver(tmp_path, up_port)
    fake, e = codeartifact_env(fake_aws_factory, env, TOKEN, f"http://127.0.0.1:{up_port}/")
    cfg = mount_config(tmp_path / "config.toml", "pypi", "corp")
    serve = Daemon(e, "--config", str(cfg), "serve")
    index = f"{serve.url('repository listener')}/pypi/corp/simple/"
    try:
        pip(e, "download", "--no-deps", "--index-url", index, "-d", str(tmp_path / "dl1"), "demo-pkg")
        assert [p.name for p in (tmp_path / "dl1").iterdir()] == ["demo_pkg-1.0-py3-none-any.whl"]
        pip(e, "install", "--no-deps", "--index-url", index, "--target", str(tmp_path / "site"), "demo-pkg")
        assert (tmp_path / "site" / "demo_pkg" / "__init__.py").exists()
        assert fake.calls("GetRepositoryEndpoint") >= 1

        upstream.terminate()
        upstream.wait(timeout=10)
        pip(e, "download", "--no-deps", "--index-url", index, "-d", str(tmp_path / "dl2"), "demo-pkg")
        assert (tmp_path / "dl2" / "demo_pkg-1.0-py3-none-any.whl").read_bytes() == (
            tmp_path / "dl1" / "demo_pkg-1.0-py3-none-any.whl"
        ).read_bytes()
    finally:
        if upstream.poll() is None:
            upstream.terminate()
        serve.stop()
    assert TOKEN not in serve.log(), serve.log()


def requests_in(log):
    """(method, path) of each request line awsproxy logs at debug level (`-v`)."""
    import re
    out = []
    for line in log.splitlines():
        if " request method=" not in line:
            continue
        method = re.search(r"method=(\S+)", line)
        path = re.search(r"path=\"?([^\"\s]+)", line)
        if method and path:
            out.append((method.group(1), path.group(1)))
    return out


def test_pip_and_uv_resolve_from_json_pages_and_metadata_without_the_wheel(fake_aws_factory, env, tmp_path):
    """pypiserver serves HTML only and no PEP 658 metadata. Once awsproxy has
    stored a wheel it advertises the wheel's METADATA, and resolution by pip
    (`install --dry-run`) and uv (`pip compile`, which asks for PEP 691 JSON)
    reads the `.metadata` file, never the wheel; a range of the wheel is its bytes."""
    import time
    import urllib.request

    up_port = free_port()
    upstream = start_pypiserver(tmp_path, up_port)
    fake, e = codeartifact_env(fake_aws_factory, env, TOKEN, f"http://127.0.0.1:{up_port}/")
    cfg = mount_config(tmp_path / "config.toml", "pypi", "corp")
    serve = Daemon(e, "-v", "--config", str(cfg), "serve")
    index = f"{serve.url('repository listener')}/pypi/corp/simple/"
    try:
        pip(e, "download", "--no-deps", "--index-url", index, "-d", str(tmp_path / "dl"), "demo-pkg")
        wheel = (tmp_path / "dl" / "demo_pkg-1.0-py3-none-any.whl").read_bytes()
        # Metadata is extracted in the background once the wheel is stored.
        deadline = time.monotonic() + 20
        while True:
            page = urllib.request.urlopen(index + "demo-pkg/").read().decode()
            if "data-core-metadata" in page or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert 'data-core-metadata="sha256=' in page, page

        seen = len(serve.log())
        report = tmp_path / "report.json"
        pip(e, "install", "--dry-run", "--ignore-installed", "--no-deps", "--index-url", index,
            "--report", str(report), "demo-pkg")
        pip_requests = requests_in(serve.log()[seen:])
        assert any(p.endswith(".whl.metadata") for _, p in pip_requests), pip_requests
        assert not any(p.endswith(".whl") for _, p in pip_requests), pip_requests

        seen = len(serve.log())
        uv = shutil.which("uv")
        assert uv, "uv is not installed: tests/interop/run.sh installs tests/interop/requirements.txt"
        proc = subprocess.run(
            [uv, "pip", "compile", "--no-header", "--no-cache", "--index-url", index, "-"],
            input="demo-pkg\n", cwd=tmp_path, env=dict(e, UV_CACHE_DIR=str(tmp_path / "uv-cache")),
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "demo-pkg==1.0" in proc.stdout, proc.stdout
        uv_requests = requests_in(serve.log()[seen:])
        assert any(p.endswith(".whl.metadata") for _, p in uv_requests), uv_requests
        assert not any(p.endswith(".whl") for _, p in uv_requests), uv_requests
        # uv asked for JSON: the page it got says so.
        req = urllib.request.Request(index + "demo-pkg/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(req) as r:
            assert r.headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
            doc = json.loads(r.read())
        url = doc["files"][0]["url"]
        assert doc["files"][0]["core-metadata"]["sha256"]

        # A range of the stored wheel is those bytes.
        full = urllib.parse.urljoin(index + "demo-pkg/", url)
        req = urllib.request.Request(full, headers={"Range": "bytes=10-29"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 206
            assert r.headers["Content-Range"] == f"bytes 10-29/{len(wheel)}"
            assert r.read() == wheel[10:30]
    finally:
        upstream.terminate()
        serve.stop()
    assert TOKEN not in serve.log(), serve.log()


def test_pip_and_uv_install_from_a_shared_awsproxy_with_a_token_over_tls(fake_aws_factory, env, tmp_path):
    """A team's awsproxy: the repository listener wants a token and speaks TLS
    with a certificate from awsproxy's CA. pip and uv send the token as the
    index URL's password and trust the CA from a file."""
    up_port = free_port()
    upstream = start_pypiserver(tmp_path, up_port)
    fake, e = codeartifact_env(fake_aws_factory, env, TOKEN, f"http://127.0.0.1:{up_port}/")
    team_token = "team-token-0123456789abcdef"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[repos]\nlisten = "127.0.0.1:0"\ntls_ca_names = ["localhost"]\n\n'
        '[[repos.pypi]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\n\n'
        f'[[access.token]]\nname = "ci"\ntoken = "{team_token}"\n'
    )
    serve = Daemon(e, "--config", str(cfg), "serve")
    url = serve.url("repository listener")
    assert url.startswith("https://"), url
    port = url.rsplit(":", 1)[1].strip("/")
    ca = tmp_path / "awsproxy-ca.pem"
    from conftest import run
    run(e, "ca", "export", "--out", str(ca))

    def index(password):
        return f"https://ci:{password}@localhost:{port}/pypi/corp/simple/"

    try:
        pip(e, "download", "--no-deps", "--no-input", "--cert", str(ca), "--index-url", index(team_token),
            "-d", str(tmp_path / "dl"), "demo-pkg")
        assert [p.name for p in (tmp_path / "dl").iterdir()] == ["demo_pkg-1.0-py3-none-any.whl"]

        # A wrong token gets nothing.
        clean = {k: v for k, v in e.items() if not k.startswith("PIP_")}
        wrong = subprocess.run(
            [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir", "download",
             "--no-deps", "--no-input", "--cert", str(ca), "--index-url", index("not-the-token"),
             "-d", str(tmp_path / "dl-wrong"), "demo-pkg"],
            env=clean, capture_output=True, text=True, timeout=120,
        )
        assert wrong.returncode != 0, wrong.stdout + wrong.stderr
        assert "401" in wrong.stdout + wrong.stderr, wrong.stdout + wrong.stderr

        uv = shutil.which("uv")
        assert uv, "uv is not installed: tests/interop/run.sh installs tests/interop/requirements.txt"
        proc = subprocess.run(
            [uv, "pip", "install", "--no-cache", "--no-deps", "--target", str(tmp_path / "site"),
             "--index-url", index(team_token), "demo-pkg"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env=dict(e, UV_CACHE_DIR=str(tmp_path / "uv-cache"), SSL_CERT_FILE=str(ca)),
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (tmp_path / "site" / "demo_pkg" / "__init__.py").exists()
    finally:
        upstream.terminate()
        serve.stop()
    assert team_token not in serve.log() and TOKEN not in serve.log(), serve.log()
