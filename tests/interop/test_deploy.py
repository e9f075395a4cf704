"""The files that run awsproxy as a service (Dockerfile, deploy/compose,
deploy/kubernetes), checked offline: the Kubernetes manifests against the
Kubernetes schemas (kubernetes-validate, with no network), the Dockerfile with
hadolint, every example configuration with `awsproxy config check`, and the
properties they must keep (non-root, read-only root, probes on /livez and
/readyz, a grace period longer than the drain, one health check everywhere).

Building and running the image needs a container runtime and a release build
(about 15 minutes here), so CI doesn't; the README says how it was run by hand.
"""

import glob
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import yaml

from conftest import run

REPO = Path(__file__).resolve().parents[2]
K8S = sorted(glob.glob(str(REPO / "deploy/kubernetes/*.yaml")))
COMPOSE = REPO / "deploy/compose/docker-compose.yml"
PROBE = ["/usr/local/bin/awsproxy", "doctor", "--probe", "http://127.0.0.1:9464/livez"]


def venv_tool(name):
    path = shutil.which(name)
    assert path, f"{name} is not installed (tests/interop/requirements.txt)"
    return path


def manifests():
    """kind -> the one resource of that kind in deploy/kubernetes/."""
    found = {}
    for path in K8S:
        for doc in yaml.safe_load_all(Path(path).read_text()):
            assert doc["kind"] not in found, f"two {doc['kind']}s"
            found[doc["kind"]] = doc
    return found


def configmap_config():
    return manifests()["ConfigMap"]["data"]["config.toml"]


def seconds(duration):
    m = re.fullmatch(r"(\d+)(s|m)", duration)
    assert m, duration
    return int(m[1]) * (60 if m[2] == "m" else 1)


def test_kubernetes_manifests_validate_against_the_schemas_offline(tmp_path):
    assert len(K8S) >= 4, K8S
    # In a network namespace of its own: the schemas must come with the package.
    cmd = [venv_tool("kubernetes-validate"), "--strict", "--quiet", *K8S]
    if os.geteuid() == 0:
        cmd = ["unshare", "--net", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And it does reject a broken one.
    broken = tmp_path / "deployment.yaml"
    good = (REPO / "deploy/kubernetes/deployment.yaml").read_text()
    broken.write_text(good.replace("replicas: 2", 'replicas: "two"'))
    proc = subprocess.run(
        [venv_tool("kubernetes-validate"), "--strict", str(broken)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0 and "replicas" in proc.stdout + proc.stderr, proc.stdout


def test_the_deployment_runs_two_hardened_replicas_with_probes_and_a_long_enough_grace():
    m = manifests()
    deploy = m["Deployment"]
    pod = deploy["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert deploy["spec"]["replicas"] == 2
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/livez"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert c["readinessProbe"]["httpGet"]["port"] == "metrics" and ports["metrics"] == 9464
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(c["resources"]["requests"]) and "memory" in c["resources"]["limits"]
    # Writable places for what awsproxy writes, the root being read-only.
    mounts = {v["mountPath"] for v in c["volumeMounts"]}
    assert {"/etc/awsproxy", "/var/cache/awsproxy", "/var/lib/awsproxy", "/tmp"} <= mounts
    # The grace period covers the drain, the in-flight requests' 10 s and the
    # cache fills' 10 s.
    config = tomllib.loads(configmap_config())
    drain = seconds(config["server"]["drain"])
    assert pod["terminationGracePeriodSeconds"] > drain + 20
    # The probes reach the metrics listener, and the Service the repository one.
    assert config["metrics"]["listen"] == "0.0.0.0:9464"
    assert config["repos"]["listen"].endswith(f":{ports['repos']}")
    sa = m["ServiceAccount"]
    assert pod["serviceAccountName"] == sa["metadata"]["name"]
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert m["Service"]["spec"]["type"] == "ClusterIP"


def test_example_configurations_pass_config_check(env, tmp_path):
    cm = tmp_path / "configmap.toml"
    cm.write_text(configmap_config())
    # The compose file's token is a secret the container gets mounted.
    token = tmp_path / "awsproxy-ci"
    token.write_text("0123456789abcdef\n")
    compose = tmp_path / "compose.toml"
    compose.write_text((REPO / "deploy/compose/config.toml").read_text().replace("/run/secrets/awsproxy-ci", str(token)))
    for path in (cm, compose):
        proc = run(env, "--config", str(path), "config", "check")
        assert "configuration OK" in proc.stdout + proc.stderr
        text = path.read_text()
        # Every non-loopback listener has access control, not the firewall-only escape.
        config = tomllib.loads(text)
        for section in ("proxy", "repos", "metrics", "creds"):
            if section in config and not config[section]["listen"].startswith("127."):
                assert config[section].get("allow_clients"), section
                assert "allow_non_loopback" not in config[section], section
        assert "access control" in text
    # `serve` itself refuses the same file without it.
    refused = tmp_path / "refused.toml"
    refused.write_text(
        "\n".join(l for l in configmap_config().splitlines() if not l.strip().startswith("allow_clients"))
    )
    proc = run(env, "--config", str(refused), "serve", check=False, timeout=20)
    assert proc.returncode == 2, proc.stderr
    assert "allow_clients" in proc.stderr


def dockerfile():
    return (REPO / "Dockerfile").read_text()


def test_hadolint_passes_the_dockerfile():
    proc = subprocess.run(
        [venv_tool("hadolint"), "--failure-threshold", "info", str(REPO / "Dockerfile")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # It does fail a Dockerfile with the usual mistakes.
    proc = subprocess.run(
        [venv_tool("hadolint"), "-"], input="FROM debian\nRUN apt-get install curl\n",
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0, proc.stdout


def test_the_image_is_multi_stage_non_root_with_a_health_check():
    lines = [l.strip() for l in re.sub(r"\\\n", " ", dockerfile()).splitlines()]
    lines = [l for l in lines if l and not l.startswith("#")]
    froms = [i for i, l in enumerate(lines) if l.startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage"
    final = lines[froms[-1]:]
    users = [l.split()[1] for l in final if l.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root"), users
    copies = [l for l in final if l.startswith("COPY ")]
    assert copies and all("--from=build" in l for l in copies), "only the binary comes in"
    installs = [l for l in final if "apt-get install" in l]
    assert len(installs) == 1 and re.search(r"--no-install-recommends ca-certificates( |&|$)", installs[0])
    health = [l for l in final if l.startswith("HEALTHCHECK ")]
    assert len(health) == 1 and ('CMD ["' + '", "'.join(PROBE) + '"]') in health[0], health
    assert 'ENTRYPOINT ["/usr/local/bin/awsproxy"]' in final and 'CMD ["serve"]' in final
    assert any(l.startswith("ENV ") and "AWSPROXY_CONFIG=/etc/awsproxy/config.toml" in l for l in final)


def test_compose_mounts_the_config_and_cache_and_checks_health_like_the_image():
    svc = yaml.safe_load(COMPOSE.read_text())["services"]["awsproxy"]
    assert svc["healthcheck"]["test"] == ["CMD", *PROBE]
    volumes = {v.split(":")[1]: v for v in svc["volumes"]}
    assert volumes["/etc/awsproxy/config.toml"].endswith(":ro")
    assert "/var/cache/awsproxy" in volumes
    assert svc["read_only"] is True and svc["cap_drop"] == ["ALL"]
    # Published on the address the user names, never on every interface by default.
    assert svc["ports"] and all(p.startswith("${AWSPROXY_ADDRESS:?") for p in svc["ports"]), svc["ports"]
    config = tomllib.loads((REPO / "deploy/compose/config.toml").read_text())
    drain = seconds(config["server"]["drain"])
    assert seconds(svc["stop_grace_period"]) > drain + 20
