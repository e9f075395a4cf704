"""Maven mounts of `awsproxy serve` with real clients: a bucket in moto holds a
small Maven repository; `curl` and `mvn dependency:get` fetch from it through
`/maven/NAME/` on the repository listener.

`mvn` runs offline apart from the proxy: its local repository is a symlinked copy
of Debian's /usr/share/maven-repo (`apt-get install maven
libmaven-dependency-plugin-java junit4` provides the plugin and what it needs),
and a settings file mirrors `*` to the proxy.
"""

import hashlib
import re
import shutil
import subprocess

import boto3
import pytest

from conftest import Daemon, codeartifact_env, mount_config

BUCKET = "artifacts"
GROUP_PATH = "com/example/hello/1.0"
JAR = b"PK\x03\x04 a tiny pretend jar for the interop tier"
POM = b"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>hello</artifactId><version>1.0</version>
</project>
"""
DEBIAN_REPO = "/usr/share/maven-repo"
PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get"


def seed_bucket(endpoint):
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=BUCKET)
    for name, body in (("hello-1.0.jar", JAR), ("hello-1.0.pom", POM)):
        key = f"maven2/{GROUP_PATH}/{name}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        s3.put_object(Bucket=BUCKET, Key=key + ".sha1", Body=hashlib.sha1(body).hexdigest().encode())
        s3.put_object(Bucket=BUCKET, Key=key + ".sha256", Body=hashlib.sha256(body).hexdigest().encode())
    return s3


@pytest.fixture
def maven_serve(env, moto, tmp_path):
    seed_bucket(moto)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[metrics]\nlisten = "127.0.0.1:0"\n\n'
        '[repos]\nlisten = "127.0.0.1:0"\n\n'
        "[[repos.maven]]\n"
        'name = "corp"\n'
        f'bucket = "{BUCKET}"\n'
        'prefix = "maven2"\n'
        'region = "us-east-1"\n'
        f'endpoint = "{moto}"\n'
        "force_path_style = true\n"
    )
    e = dict(env)
    # moto accepts any keys; the mount uses the default chain.
    e["AWS_ACCESS_KEY_ID"] = "testing"
    e["AWS_SECRET_ACCESS_KEY"] = "testing"
    serve = Daemon(e, "--config", str(cfg), "serve")
    serve.repos_url = serve.url("repository listener")
    try:
        yield serve
    finally:
        serve.stop()


def curl(*args):
    env = {"PATH": "/usr/bin:/bin"}  # no CURL_CA_BUNDLE or proxies from this machine
    return subprocess.run(["curl", "-sS", *args], capture_output=True, env=env, timeout=30)


def test_curl_fetches_artifacts_listings_and_conditionals(maven_serve, tmp_path):
    base = f"{maven_serve.repos_url}/maven/corp/{GROUP_PATH}"
    out = tmp_path / "hello.jar"
    r = curl("-f", "-D", "-", "-o", str(out), f"{base}/hello-1.0.jar")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == JAR
    headers = r.stdout.decode().lower()
    assert "content-type: application/java-archive" in headers
    assert f"content-length: {len(JAR)}" in headers
    etag = re.search(r"^etag: (.+?)\r?$", headers, re.M).group(1)

    r = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", f"If-None-Match: {etag}", f"{base}/hello-1.0.jar")
    assert r.stdout == b"304"
    r = curl("-f", "-r", "0-3", f"{base}/hello-1.0.jar")
    assert r.stdout == JAR[:4]
    r = curl("-o", "/dev/null", "-w", "%{http_code}", f"{base}/missing-1.0.jar")
    assert r.stdout == b"404"
    r = curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", f"{maven_serve.repos_url}/maven/corp/../../etc/passwd")
    assert r.stdout == b"400"
    r = curl("-f", f"{base}/")
    assert b'href="hello-1.0.jar"' in r.stdout


def test_mvn_dependency_get_through_the_proxy(maven_serve, tmp_path):
    assert shutil.which("mvn"), "apt-get install maven (.ci/run does this)"
    plugin_dir = f"{DEBIAN_REPO}/org/apache/maven/plugins/maven-dependency-plugin/3.5.0"
    assert shutil.os.path.isdir(plugin_dir), (
        "apt-get install libmaven-dependency-plugin-java junit4 (.ci/run does this)"
    )
    local = mvn_get(maven_serve.repos_url, tmp_path, "m2", mount="corp")
    fetched = local / GROUP_PATH / "hello-1.0.jar"
    assert fetched.read_bytes() == JAR
    assert (local / GROUP_PATH / "hello-1.0.pom").read_bytes() == POM


# --- A CodeArtifact Maven repository (`domain` instead of `bucket`) ---------

CA_TOKEN = "interop-fixed-codeartifact-token"


def start_codeartifact_maven(files):
    """A Maven repository that answers only `Basic aws:CA_TOKEN`, as CodeArtifact
    does; `files` maps repository paths to bytes. Returns (server, seen)."""
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    want = "Basic " + base64.b64encode(f"aws:{CA_TOKEN}".encode()).decode()
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization") == want))
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.end_headers()
                return
            body = files.get(self.path.lstrip("/"))
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(("PUT " + self.path, self.headers.get("Authorization") == want))
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.end_headers()
                return
            files[self.path.lstrip("/")] = body
            self.send_response(201)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def offline_repo(path):
    """A local repository holding Debian's Maven plugins (mvn runs offline here)."""
    subprocess.run(["cp", "-rs", DEBIAN_REPO, str(path)], check=True)
    return path


def mvn(home, *args, **env):
    """Runs `mvn -B ARGS` with `home` as the user's home (Java reads it from
    the user database, not $HOME, hence `-Duser.home`); asserts it succeeds."""
    r = subprocess.run(
        ["mvn", "-B", *args], capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "JAVA_TOOL_OPTIONS": "",
             "MAVEN_OPTS": f"-Duser.home={home}", **env},
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    return r


def mvn_get(repos_url, tmp_path, name, artifact="com.example:hello:1.0", mount="ca"):
    """`mvn dependency:get` of `artifact` through `/maven/MOUNT/` into a fresh
    local repository `tmp_path/name`, which it returns."""
    local = offline_repo(tmp_path / name)
    settings = tmp_path / f"{name}-settings.xml"
    settings.write_text(
        f"<settings><localRepository>{local}</localRepository>"
        "<mirrors><mirror><id>awsproxy</id><mirrorOf>*</mirrorOf>"
        f"<url>{repos_url}/maven/{mount}/</url></mirror></mirrors></settings>"
    )
    mvn(tmp_path, "-s", str(settings), PLUGIN, f"-Dartifact={artifact}")
    return local


def test_mvn_dependency_get_from_a_codeartifact_mount(fake_aws_factory, env, tmp_path):
    files = {}
    for name, body in (("hello-1.0.jar", JAR), ("hello-1.0.pom", POM)):
        path = f"{GROUP_PATH}/{name}"
        files[path] = body
        files[path + ".sha1"] = hashlib.sha1(body).hexdigest().encode()
        files[path + ".sha256"] = hashlib.sha256(body).hexdigest().encode()
    upstream, seen = start_codeartifact_maven(files)
    fake, e = codeartifact_env(fake_aws_factory, env, CA_TOKEN, f"http://127.0.0.1:{upstream.server_address[1]}/")
    cfg = mount_config(tmp_path / "config.toml", "maven", "ca", "maven-store")
    serve = Daemon(e, "--config", str(cfg), "serve")
    try:
        repos_url = serve.url("repository listener")
        local = mvn_get(repos_url, tmp_path, "m2-first")
        assert (local / GROUP_PATH / "hello-1.0.jar").read_bytes() == JAR
        assert all(ok for _, ok in seen), seen
        assert fake.calls("GetRepositoryEndpoint") >= 1

        # With the repository gone, a fresh local repository still fills from the cache.
        upstream.shutdown()
        upstream.server_close()
        local = mvn_get(repos_url, tmp_path, "m2-second")
        assert (local / GROUP_PATH / "hello-1.0.jar").read_bytes() == JAR
    finally:
        serve.stop()
    assert CA_TOKEN not in serve.log(), serve.log()


def test_mvn_deploy_to_a_codeartifact_mount_then_resolve_it(fake_aws_factory, env, tmp_path):
    """`mvn deploy:deploy-file` through a mount with `allow_deploy` (Maven's own
    server credentials are placeholders; awsproxy sends the token), then the
    deployed artifact resolves through the same mount."""
    files = {}
    upstream, seen = start_codeartifact_maven(files)
    _, e = codeartifact_env(fake_aws_factory, env, CA_TOKEN, f"http://127.0.0.1:{upstream.server_address[1]}/")
    cfg = mount_config(tmp_path / "config.toml", "maven", "ca", "maven-store", extra="allow_deploy = true\n")
    serve = Daemon(e, "--config", str(cfg), "serve")
    try:
        repos_url = serve.url("repository listener")
        local = offline_repo(tmp_path / "m2-deploy")
        settings = tmp_path / "deploy-settings.xml"
        settings.write_text(
            f"<settings><localRepository>{local}</localRepository>"
            "<servers><server><id>awsproxy</id><username>aws</username>"
            "<password>placeholder</password></server></servers></settings>"
        )
        jar = tmp_path / "made-2.0.jar"
        jar.write_bytes(JAR)
        mvn(tmp_path, "-s", str(settings),
            "org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file",
            f"-Dfile={jar}", "-DgroupId=com.example", "-DartifactId=made", "-Dversion=2.0",
            "-Dpackaging=jar", "-DgeneratePom=true", "-DrepositoryId=awsproxy",
            f"-Durl={repos_url}/maven/ca/")
        assert files["com/example/made/2.0/made-2.0.jar"] == JAR
        assert "com/example/made/2.0/made-2.0.pom" in files
        assert all(ok for p, ok in seen if p.startswith("PUT ")), seen

        got = mvn_get(repos_url, tmp_path, "m2-get", "com.example:made:2.0")
        assert (got / "com/example/made/2.0/made-2.0.jar").read_bytes() == JAR
    finally:
        upstream.shutdown()
        serve.stop()
    assert CA_TOKEN not in serve.log(), serve.log()
