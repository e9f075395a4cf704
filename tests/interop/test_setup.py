"""`awsproxy setup uv` and `awsproxy setup poetry` checked by the tools
themselves: after setup, at user level and with `--project`, uv asks the
mount's URL for a package (the listener is a closed port, so the request fails
at once and uv's error names the URL it used), and `poetry source show` lists
the mount as the primary source; `--undo` gives the files back byte for byte.
End to end: with `awsproxy serve` in front of pypiserver, `setup pip uv` alone
makes plain `pip download` and `uv pip compile` resolve through the mount, and
`setup npm --project` a plain `npm install`, and `setup cargo` a
`cargo generate-lockfile` of a crate from the mount, and `setup maven` makes
plain `mvn dependency:get` fetch through a CodeArtifact Maven mount.
"""

import os
import shutil
import subprocess

from conftest import run

CONFIG = """
[repos]
listen = "127.0.0.1:1"

[[repos.pypi]]
name = "corp"
domain = "d"
domain_owner = "123456789012"
repository = "r"
"""

def tool(name):
    """A client from tests/interop/requirements.txt (never skipped: install it)."""
    path = shutil.which(name)
    assert path, f"{name} is not installed: tests/interop/run.sh installs tests/interop/requirements.txt"
    return path




def uv_fetches(env, cwd):
    """The URL uv tried for `foo`, from its error."""
    uv_env = dict(env, UV_CACHE_DIR=str(cwd / ".uv-cache"), UV_HTTP_RETRIES="0")
    proc = subprocess.run(
        [tool("uv"), "pip", "compile", "--no-header", "-"],
        input="foo\n", cwd=cwd, env=uv_env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def test_uv_uses_the_mount_at_user_and_project_level(env, tmp_path):
    config = tmp_path / "config" / "awsproxy" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    user = tmp_path / "config" / "uv" / "uv.toml"
    user.parent.mkdir(parents=True)
    original = "# mine\nnative-tls   = true\n"
    user.write_text(original)
    work = tmp_path / "work"
    work.mkdir()

    run(env, "setup", "uv")
    assert "http://127.0.0.1:1/pypi/corp/simple/foo/" in uv_fetches(env, work)
    assert "already set up" in run(env, "setup", "uv").stderr
    run(env, "setup", "uv", "--undo")
    assert user.read_text() == original

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    run(env, "setup", "uv", "--project", str(project))
    assert "http://127.0.0.1:1/pypi/corp/simple/foo/" in uv_fetches(env, project)
    run(env, "setup", "uv", "--project", str(project), "--undo")
    assert not (project / "uv.toml").exists()


def test_a_default_index_outside_the_block_is_refused(env, tmp_path):
    config = tmp_path / "config" / "awsproxy" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    user = tmp_path / "config" / "uv" / "uv.toml"
    user.parent.mkdir(parents=True)
    original = '[[index]]\nurl = "https://pypi.example/simple/"\ndefault = true\n'
    user.write_text(original)
    proc = run(env, "setup", "uv", check=False)
    assert proc.returncode == 2, proc.stderr
    assert "hint:" in proc.stderr
    assert user.read_text() == original


def test_poetry_lists_the_mount_as_its_primary_source(env, tmp_path):
    config = tmp_path / "config" / "awsproxy" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    project = tmp_path / "project"
    project.mkdir()
    original = (
        '[project]\nname = "p"\nversion = "0.1.0"\n\n'
        '[build-system]\nrequires = ["poetry-core>=2.0"]\nbuild-backend = "poetry.core.masonry.api"'
    )
    (project / "pyproject.toml").write_text(original)

    run(env, "setup", "poetry", "--project", str(project))
    proc = subprocess.run(
        [tool("poetry"), "source", "show"], cwd=project, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [" ".join(line.split()) for line in proc.stdout.splitlines()]
    assert "name : awsproxy-corp" in lines, proc.stdout
    assert "url : http://127.0.0.1:1/pypi/corp/simple/" in lines, proc.stdout
    assert "priority : primary" in lines, proc.stdout

    run(env, "setup", "poetry", "--project", str(project), "--undo")
    assert (project / "pyproject.toml").read_text() == original


def test_pip_and_uv_install_through_serve_after_setup_alone(fake_aws_factory, env, tmp_path):
    """The newcomer's path: `awsproxy serve` running, `awsproxy setup pip uv`,
    then plain `pip download` and `uv pip compile` with no index flag."""
    from test_pypi import STATIC, TOKEN, pip, start_pypiserver
    from conftest import Daemon, free_port

    up_port = free_port()
    upstream = start_pypiserver(tmp_path, up_port)
    fake = fake_aws_factory(
        "--codeartifact-fixed-token", TOKEN,
        "--codeartifact-endpoint", f"http://127.0.0.1:{up_port}/",
    )
    e = fake.env(env)
    e.update(STATIC)
    port = free_port()
    config = tmp_path / "config" / "awsproxy" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[repos]\nlisten = "127.0.0.1:{port}"\n\n'
        '[[repos.pypi]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\n'
    )
    serve = Daemon(e, "serve")
    try:
        serve.url("repository listener")
        run(e, "setup", "pip", "uv")
        pip(e, "download", "--no-deps", "-d", str(tmp_path / "dl"), "demo-pkg")
        assert [p.name for p in (tmp_path / "dl").iterdir()] == ["demo_pkg-1.0-py3-none-any.whl"]
        work = tmp_path / "work"
        work.mkdir()
        proc = subprocess.run(
            [tool("uv"), "pip", "compile", "--no-header", "-"],
            input="demo-pkg\n", cwd=work, env=dict(e, UV_CACHE_DIR=str(work / ".uv-cache")),
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "demo-pkg==1.0" in proc.stdout, proc.stdout
        run(e, "setup", "pip", "uv", "--undo")
        assert not (tmp_path / "config" / "pip" / "pip.conf").exists()
        assert not (tmp_path / "config" / "uv" / "uv.toml").exists()
    finally:
        upstream.terminate()
        serve.stop()


def test_npm_installs_through_serve_after_project_setup(fake_aws_factory, env, tmp_path):
    """`awsproxy setup npm --project` then a plain `npm install` (no --registry)."""
    from test_npm import NPM, STATIC, TOKEN, make_tarball, start_registry
    from conftest import Daemon, free_port

    up_port = free_port()
    upstream, seen = start_registry(up_port, {"demo-pkg": ("1.0.0", make_tarball("demo-pkg", "1.0.0"))})
    fake = fake_aws_factory(
        "--codeartifact-fixed-token", TOKEN,
        "--codeartifact-endpoint", f"http://127.0.0.1:{up_port}/",
    )
    e = fake.env(env)
    e.update(STATIC)
    port = free_port()
    config = tmp_path / "config" / "awsproxy" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[repos]\nlisten = "127.0.0.1:{port}"\n\n'
        '[[repos.npm]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\n'
    )
    project = tmp_path / "web"
    project.mkdir()
    (project / "package.json").write_text('{"name": "web", "version": "0.0.0"}')
    original = "# web's own settings\nsave-exact=true"
    (project / ".npmrc").write_text(original)
    serve = Daemon(e, "serve")
    try:
        serve.url("repository listener")
        run(e, "setup", "npm", "--project", str(project))
        clean = {k: v for k, v in e.items() if not k.lower().startswith("npm_")}
        proc = subprocess.run(
            [NPM, "install", "--no-audit", "--no-fund", "--cache", str(tmp_path / "npm-cache"), "demo-pkg"],
            cwd=project, env=clean, capture_output=True, text=True, timeout=180,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (project / "node_modules" / "demo-pkg" / "index.js").exists()
        assert f"127.0.0.1:{port}/npm/corp/" in (project / "package-lock.json").read_text()
        assert any(p.endswith("demo-pkg-1.0.0.tgz") for p in seen)
        run(e, "setup", "npm", "--project", str(project), "--undo")
        assert (project / ".npmrc").read_text() == original
    finally:
        upstream.shutdown()
        serve.stop()


def test_cargo_resolves_through_serve_after_setup(fake_aws_factory, env, tmp_path):
    """`awsproxy setup cargo` into an existing CARGO_HOME config, then cargo
    resolves a crate from the mount; undo restores the config byte for byte."""
    from test_cargo import STATIC, TOKEN, cargo, make_crate, project, start_registry
    from conftest import Daemon, free_port

    up_port = free_port()
    upstream, add, _seen = start_registry(up_port)
    add("corp-dep", "0.1.0", make_crate("corp-dep", "0.1.0", "pub fn answer() -> u32 { 42 }\n"))
    fake = fake_aws_factory(
        "--codeartifact-fixed-token", TOKEN,
        "--codeartifact-endpoint", f"http://127.0.0.1:{up_port}/",
    )
    e = fake.env(env)
    e.update(STATIC)
    port = free_port()
    config = tmp_path / "config" / "awsproxy" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[repos]\nlisten = "127.0.0.1:{port}"\n\n'
        '[[repos.cargo]]\nname = "corp"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        'region = "us-east-1"\nrepository = "repo"\n'
    )
    home = tmp_path / "cargo-home"
    home.mkdir()
    original = "# mine\n[term]\ncolor   =   'never'\n"
    (home / "config.toml").write_text(original)
    serve = Daemon(e, "serve")
    try:
        serve.url("repository listener")
        run(dict(e, CARGO_HOME=str(home)), "setup", "cargo")
        app = project(tmp_path / "app", "app", ["corp-dep"], 'fn main() { corp_dep::answer(); }\n')
        cargo(e, home, app, "generate-lockfile")
        lock = (app / "Cargo.lock").read_text()
        assert f"sparse+http://127.0.0.1:{port}/cargo/corp/" in lock, lock
        run(dict(e, CARGO_HOME=str(home)), "setup", "cargo", "--undo")
        assert (home / "config.toml").read_text() == original
    finally:
        upstream.shutdown()
        serve.stop()


def test_maven_resolves_through_serve_after_setup(fake_aws_factory, env, tmp_path):
    """`awsproxy setup maven` writes ~/.m2/settings.xml's mirror; then plain
    `mvn dependency:get` (no -s) fetches through a CodeArtifact Maven mount;
    undo removes the file it created."""
    import hashlib
    from test_maven import CA_TOKEN, GROUP_PATH, JAR, PLUGIN, POM, mvn, offline_repo, start_codeartifact_maven
    from conftest import Daemon, codeartifact_env, free_port, mount_config

    files = {}
    for name, body in (("hello-1.0.jar", JAR), ("hello-1.0.pom", POM)):
        files[f"{GROUP_PATH}/{name}"] = body
        files[f"{GROUP_PATH}/{name}.sha1"] = hashlib.sha1(body).hexdigest().encode()
    upstream, seen = start_codeartifact_maven(files)
    _, e = codeartifact_env(fake_aws_factory, env, CA_TOKEN, f"http://127.0.0.1:{upstream.server_address[1]}/")
    port = free_port()
    mount_config(tmp_path / "config" / "awsproxy" / "config.toml", "maven", "ca", "maven-store", port=port)
    serve = Daemon(e, "serve")
    try:
        serve.url("repository listener")
        run(e, "setup", "maven")
        settings = tmp_path / "home" / ".m2" / "settings.xml"
        assert f"http://127.0.0.1:{port}/maven/ca/" in settings.read_text()
        local = offline_repo(tmp_path / "m2")
        mvn(e["HOME"], f"-Dmaven.repo.local={local}", PLUGIN, "-Dartifact=com.example:hello:1.0")
        assert (local / GROUP_PATH / "hello-1.0.jar").read_bytes() == JAR
        assert any(p.endswith("hello-1.0.jar") and ok for p, ok in seen), seen
        run(e, "setup", "maven", "--undo")
        assert not settings.exists()
    finally:
        upstream.shutdown()
        serve.stop()
