"""The ECR credential helper with an independent client end to end: skopeo
(Debian) copies an image to and from the reference registry (Debian's
`docker-registry`, htpasswd auth whose one user is `AWS:<the fake ECR
password>`), finding `docker-credential-awsproxy` through the `credHelpers`
that `awsproxy setup docker` wrote into `$DOCKER_CONFIG/config.json`. The
token comes from the fake's ECR `GetAuthorizationToken`, signed with an SSO
profile's role credentials after a real `awsproxy sso login`.

No name resolves to 127.0.0.1 here, so the registry is configured under its
own `127.0.0.1:PORT` with the region of the ECR registry it stands for
(`[[docker.registry]] host = "127.0.0.1:PORT"`, `region = "us-east-1"`): the
helper answers only for configured names and ECR hosts.
"""

import gzip
import hashlib
import io
import json
import os
import pathlib
import subprocess
import tarfile
import urllib.request

from conftest import AWSPROXY, free_port, run, wait_for_port

PASSWORD = "fake-ecr-password-for-the-registry"


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"sha256:{digest}", len(data)


def oci_layout(layout, ref, content):
    """A one-layer image written by hand as an OCI image layout."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    layer, layer_size = blob(layout, gzip.compress(raw.getvalue(), mtime=0))
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    config_digest, config_size = blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}],
    }).encode()
    manifest_digest, manifest_size = blob(layout, manifest)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (layout / "index.json").write_text(json.dumps({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": ref},
        }],
    }))
    return layer


def start_registry(tmp_path):
    """docker-registry on 127.0.0.1:PORT that accepts only AWS:PASSWORD."""
    port = free_port()
    htpasswd = subprocess.run(
        ["htpasswd", "-Bbn", "AWS", PASSWORD], capture_output=True, text=True, check=True
    ).stdout
    (tmp_path / "htpasswd").write_text(htpasswd)
    (tmp_path / "registry.yml").write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'registry-data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        f"auth:\n  htpasswd:\n    realm: interop\n    path: {tmp_path / 'htpasswd'}\n"
    )
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(tmp_path / "registry.yml")],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "registry.log", "w"),
    )
    wait_for_port(port)
    return proc, f"127.0.0.1:{port}"


def skopeo(e, *args):
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args], env=e, capture_output=True, text=True, timeout=120
    )


def test_skopeo_copies_to_and_from_a_registry_through_the_helper_with_an_sso_profile(
    env, fake_aws_factory, tmp_path
):
    from test_sso import setup as sso_setup

    fake = fake_aws_factory("--ecr-password", PASSWORD)
    e, _ = sso_setup(env, fake)
    run(e, "sso", "login", "corp", "--use-device-code", "--no-browser", timeout=120)

    registry, host = start_registry(tmp_path)
    try:
        config = pathlib.Path(e["XDG_CONFIG_HOME"]) / "awsproxy" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'[docker]\nprofile = "dev"\n\n[[docker.registry]]\nhost = "{host}"\nregion = "us-east-1"\n'
        )
        bindir = tmp_path / "bin"
        bindir.mkdir()
        (bindir / "docker-credential-awsproxy").symlink_to(os.path.abspath(AWSPROXY))
        runtime = tmp_path / "run"
        runtime.mkdir(mode=0o700)
        e = dict(
            e,
            AWS_ENDPOINT_URL_ECR=fake.endpoint,
            AWS_ENDPOINT_URL_ECR_PUBLIC=fake.endpoint,
            DOCKER_CONFIG=str(tmp_path / "docker"),
            XDG_RUNTIME_DIR=str(runtime),
            PATH=f"{bindir}:{e['PATH']}",
            AWSPROXY_LOG_LEVEL="debug",
        )
        e.pop("REGISTRY_AUTH_FILE", None)

        setup = run(e, "setup", "docker")
        assert "not on PATH" not in setup.stderr, setup.stderr
        helpers = json.loads((tmp_path / "docker" / "config.json").read_text())["credHelpers"]
        assert helpers == {host: "awsproxy"}, helpers

        layer = oci_layout(tmp_path / "oci", "v1", b"hello from awsproxy\n")
        image = f"docker://{host}/interop/hello:v1"

        # Without the helper the registry refuses: the credentials below are the helper's.
        anonymous = dict(e, DOCKER_CONFIG=str(tmp_path / "no-docker-config"))
        refused = skopeo(anonymous, "copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'oci'}:v1", image)
        assert refused.returncode != 0, refused.stderr
        assert "unauthorized" in refused.stderr.lower() or "authentication required" in refused.stderr.lower(), refused.stderr
        assert fake.calls("ecr:GetAuthorizationToken") == 0

        push = skopeo(e, "copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'oci'}:v1", image)
        assert push.returncode == 0, push.stderr
        assert fake.calls("ecr:GetAuthorizationToken") == 1
        assert fake.calls("GetRoleCredentials") == 1, "the SSO profile's role signed the call"
        with urllib.request.urlopen(fake.control + "/ecr/tokens", timeout=5) as r:
            tokens = json.load(r)
        assert tokens == [{"password": PASSWORD, "public": False, "region": "us-east-1"}], tokens

        pull = skopeo(e, "copy", "--src-tls-verify=false", image, f"oci:{tmp_path / 'out'}:v1")
        assert pull.returncode == 0, pull.stderr
        for stderr in (push.stderr, pull.stderr):
            assert PASSWORD not in stderr, "the password reached a log line"
        # skopeo ran the helper again, which answered from its cache: no ECR call.
        assert "ECR token from the cache" in pull.stderr, pull.stderr
        assert fake.calls("ecr:GetAuthorizationToken") == 1
        assert fake.calls("GetRoleCredentials") == 1

        index = json.loads((tmp_path / "out" / "index.json").read_text())
        manifest_digest = index["manifests"][0]["digest"].split(":")[1]
        manifest = json.loads((tmp_path / "out" / "blobs" / "sha256" / manifest_digest).read_text())
        assert manifest["layers"][0]["digest"] == layer, manifest
        data = (tmp_path / "out" / "blobs" / "sha256" / layer.split(":")[1]).read_bytes()
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
            assert tar.extractfile("hello.txt").read() == b"hello from awsproxy\n"

        # Undo takes the entry out again, and skopeo is refused once more.
        run(e, "setup", "docker", "--undo")
        assert not (tmp_path / "docker" / "config.json").exists()
        again = skopeo(e, "inspect", "--tls-verify=false", image)
        assert again.returncode != 0, again.stdout
    finally:
        registry.terminate()
        registry.wait(timeout=10)
