"""pip through awsproxy's PyPI proxy: a pypiserver upstream that only accepts
`aws:<token>` (the token the CodeArtifact fake issues, fixed here because
pypiserver needs its password up front), `awsproxy serve` with a `[[repos.pypi]]`
mount whose endpoint comes from `GetRepositoryEndpoint`, and pip's own resolver.
A second `pip download` succeeds with the upstream stopped (served from the cache).
"""

import base64
import hashlib
import os
import subprocess
import sys
import zipfile

from conftest import Daemon, free_port, wait_for_port

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
        '[[repos.pypi]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\n'
    )
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
