"""The interop tier's own footing: the binary runs in an isolated HOME, and the
AWS fakes speak the wire protocols that botocore and the AWS CLI expect (the
same fakes the Rust integration tests use)."""

import json
import subprocess

import boto3

from conftest import run


def test_binary_runs_on_the_embedded_default(env):
    assert run(env, "--version").stdout.startswith("awsproxy ")
    proc = run(env, "config", "check")
    assert "<embedded default>" in proc.stderr


def test_invalid_config_is_refused_with_its_location(env, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[proxy]\nlisten = "127.0.0.1:3128"\nintercpt = true\n')
    proc = run(env, "--config", str(cfg), "config", "check", check=False)
    assert proc.returncode == 2
    assert f"{cfg}:3:1: key `proxy.intercpt`" in proc.stderr
    assert "did you mean `intercept`?" in proc.stderr


def test_botocore_drives_the_sso_oidc_fake(fake_aws, env):
    oidc = boto3.client(
        "sso-oidc", region_name="us-east-1", endpoint_url=fake_aws.endpoint,
        aws_access_key_id="unused", aws_secret_access_key="unused",
    )
    client = oidc.register_client(clientName="interop", clientType="public", scopes=["sso:account:access"])
    auth = oidc.start_device_authorization(
        clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl="https://example.awsapps.com/start"
    )
    assert auth["userCode"] and auth["interval"] >= 0
    assert fake_aws.calls("RegisterClient") == 1


def test_aws_cli_gets_a_codeartifact_token_from_the_fake(fake_aws, env):
    e = fake_aws.env(env)
    e.update(AWS_ACCESS_KEY_ID="AKIDFAKESTATIC", AWS_SECRET_ACCESS_KEY="fake-static-secret-access-key")
    out = subprocess.run(
        ["aws", "codeartifact", "get-authorization-token", "--domain", "fake-domain",
         "--domain-owner", "123456789012", "--output", "json"],
        env=e, capture_output=True, text=True, timeout=60, check=True,
    )
    token = json.loads(out.stdout)["authorizationToken"]
    assert token in fake_aws.codeartifact_tokens()
