"""The ECS credentials endpoint, credential_process and `awsproxy exec`, used by
botocore/boto3 and the AWS CLI, with STS played by moto."""

import json
import subprocess

import boto3
import botocore.session

from conftest import AWSPROXY, Daemon, run

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDINTEROPSTATIC", "AWS_SECRET_ACCESS_KEY": "interop-secret"}
ROLE = "arn:aws:iam::123456789012:role/InteropRole"


def write_config(tmp_path, token):
    cfg = tmp_path / "awsproxy.toml"
    cfg.write_text(
        '[creds]\nlisten = "127.0.0.1:0"\n'
        f'[[creds.client]]\nname = "app"\ntoken = "{token}"\n'
        f'access_key_id = "{STATIC["AWS_ACCESS_KEY_ID"]}"\nsecret_access_key = "{STATIC["AWS_SECRET_ACCESS_KEY"]}"\n'
        f'role_arn = "{ROLE}"\nrole_session_name = "interop"\n'
    )
    return cfg


def client_env(env, moto, url, token):
    """What a container gets: the endpoint and its token, and nothing else."""
    e = dict(env)
    e.update(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=token,
        AWS_ENDPOINT_URL_STS=moto,
    )
    return e


def test_boto3_and_the_aws_cli_use_the_ecs_endpoint(env, moto, tmp_path, monkeypatch):
    token = "interop-client-token"
    server_env = dict(env, AWS_ENDPOINT_URL_STS=moto)
    serve = Daemon(server_env, "--config", str(write_config(tmp_path, token)), "creds", "serve")
    endpoint = serve.wait_for(r"(http://\S+/v1/credentials)").group(1)
    try:
        e = client_env(env, moto, endpoint, token)
        for key, value in e.items():
            monkeypatch.setenv(key, value)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
            monkeypatch.delenv(key, raising=False)
        session = boto3.Session(botocore_session=botocore.session.Session())
        creds = session.get_credentials()
        assert creds.method == "container-role"
        ident = session.client("sts", region_name="us-east-1", endpoint_url=moto).get_caller_identity()
        assert "assumed-role/InteropRole/interop" in ident["Arn"], ident

        cli = subprocess.run(
            ["aws", "sts", "get-caller-identity", "--output", "json"],
            env=e, capture_output=True, text=True, timeout=60,
        )
        assert cli.returncode == 0, cli.stderr
        assert "assumed-role/InteropRole/interop" in json.loads(cli.stdout)["Arn"]

        # A wrong token is refused, and the SDK says so.
        bad = dict(e, AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong")
        cli = subprocess.run(["aws", "sts", "get-caller-identity"], env=bad, capture_output=True, text=True, timeout=60)
        assert cli.returncode != 0
    finally:
        serve.stop()


def test_credential_process_wraps_a_profile_for_boto3(env, moto, tmp_path):
    home = tmp_path / "home"
    (home / ".aws" / "credentials").write_text(
        f"[base]\naws_access_key_id = {STATIC['AWS_ACCESS_KEY_ID']}\naws_secret_access_key = {STATIC['AWS_SECRET_ACCESS_KEY']}\n"
    )
    (home / ".aws" / "config").write_text(
        f"[profile base]\nregion = us-east-1\nrole_arn = {ROLE}\nsource_profile = base\nrole_session_name = via-process\n"
        f"[profile wrapped]\nregion = us-east-1\ncredential_process = {AWSPROXY} creds export --profile base\n"
    )
    e = dict(env, AWS_ENDPOINT_URL_STS=moto, AWS_PROFILE="wrapped")
    out = json.loads(run(dict(e, AWS_PROFILE=""), "creds", "export", "--profile", "base").stdout)
    assert out["Version"] == 1 and out["AccessKeyId"] and out["SessionToken"] and out["Expiration"]
    script = (
        "import boto3, json\n"
        f"s = boto3.Session(profile_name='wrapped')\n"
        f"print(json.dumps(s.client('sts', endpoint_url='{moto}').get_caller_identity()['Arn']))\n"
    )
    proc = subprocess.run(["python", "-c", script], env=e, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "assumed-role/InteropRole/via-process" in proc.stdout


def test_awsproxy_exec_gives_the_aws_cli_and_boto3_an_sso_profiles_credentials(env, fake_aws, moto, tmp_path):
    """`awsproxy exec --profile dev` (an SSO profile) runs the AWS CLI and boto3
    with only the child's endpoint: both call STS (moto) with the role's
    credentials, and the endpoint stops answering once the command exits."""
    import socket
    from test_sso import setup as sso_setup

    e, _ = sso_setup(env, fake_aws)
    run(e, "sso", "login", "corp", "--use-device-code", "--no-browser", timeout=120)
    e = dict(e, AWS_ENDPOINT_URL_STS=moto, AWS_ACCESS_KEY_ID="AKIDSHOULDNOTBEUSED", AWS_SECRET_ACCESS_KEY="x")
    cli = run(e, "exec", "--profile", "dev", "--", "aws", "sts", "get-caller-identity", "--output", "json")
    assert json.loads(cli.stdout)["Account"], cli.stdout
    uri_file = tmp_path / "uri"
    script = (
        "import boto3, os, json\n"
        "c = boto3.Session().get_credentials()\n"
        f"open({str(uri_file)!r}, 'w').write(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'])\n"
        "print(json.dumps({'method': c.method, 'key': c.get_frozen_credentials().access_key}))\n"
    )
    py = run(e, "exec", "--profile", "dev", "--", "python", "-c", script)
    got = json.loads(py.stdout)
    assert got["method"] == "container-role", got
    assert got["key"].startswith("ASIAFAKE"), got
    host, port = uri_file.read_text().split("//")[1].split("/")[0].rsplit(":", 1)
    with socket.socket() as s:
        assert s.connect_ex((host, int(port))) != 0, "the endpoint outlived the command"
