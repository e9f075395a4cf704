"""The SSO token cache shared with botocore: botocore uses a token written by
`awsproxy sso login`, and `awsproxy sso status` reads one botocore refreshed."""

import hashlib
import json
import pathlib

import subprocess

from conftest import run

AWS_CONFIG = """\
[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = DeveloperRole
region = us-east-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def setup(env, fake):
    home = pathlib.Path(env["HOME"])
    (home / ".aws" / "config").write_text(AWS_CONFIG)
    e = fake.env(env)
    e["SSH_CONNECTION"] = "interop"  # no browser here: the device flow prints the URL
    return e, home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")


def botocore_access_key(e):
    """Role credentials as botocore gets them for profile `dev`, in a child process
    (botocore fixes its SSO cache directory from HOME when it is imported)."""
    script = (
        "import boto3\n"
        "c = boto3.Session(profile_name='dev').get_credentials().get_frozen_credentials()\n"
        "print(c.access_key)\n"
    )
    proc = subprocess.run(["python", "-c", script], env=e, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_botocore_uses_a_token_written_by_awsproxy_sso_login(env, fake_aws):
    e, cache_file = setup(env, fake_aws)
    run(e, "sso", "login", "corp", "--use-device-code", "--no-browser", timeout=120)
    token = json.loads(cache_file.read_text())
    assert token["expiresAt"].endswith("Z") and token["refreshToken"]
    access_key = botocore_access_key(e)
    assert access_key.startswith("ASIAFAKE"), access_key
    assert fake_aws.calls("GetRoleCredentials") == 1


def test_sso_status_reads_a_token_botocore_refreshed(env, fake_aws_factory):
    # Tokens that live 10 minutes: inside botocore's 15-minute refresh window at once.
    fake = fake_aws_factory("--access-token-lifetime", "600")
    e, cache_file = setup(env, fake)
    run(e, "sso", "login", "corp", "--use-device-code", "--no-browser", timeout=120)
    before = json.loads(cache_file.read_text())

    botocore_access_key(e)
    after = json.loads(cache_file.read_text())
    assert after["accessToken"] != before["accessToken"], "botocore refreshed the token"
    assert fake.calls("CreateToken") >= 2

    status = run(e, "sso", "status", "--json")
    rows = json.loads(status.stdout)
    corp = next(r for r in rows if r["name"] == "corp")
    assert corp["state"] == "valid" and corp["refreshable"] is True, corp
    assert corp["needs_login"] is False


def test_botocore_uses_profiles_written_by_awsproxy_sso_profiles(env, fake_aws):
    e, _ = setup(env, fake_aws)
    config = pathlib.Path(e["AWS_CONFIG_FILE"])
    before = config.read_text()
    run(e, "sso", "login", "corp", "--use-device-code", "--no-browser", timeout=120)
    run(e, "sso", "profiles", "corp", "--write")
    written = config.read_text()
    assert written.startswith(before) and "# >>> awsproxy >>>" in written, written
    script = (
        "import boto3, botocore.session\n"
        "profiles = botocore.session.Session().full_config['profiles']\n"
        "assert profiles['dev']['sso_role_name'] == 'DeveloperRole'\n"
        "c = boto3.Session(profile_name='fake-dev-ReadOnly').get_credentials().get_frozen_credentials()\n"
        "print(c.access_key)\n"
    )
    proc = subprocess.run(["python", "-c", script], env=e, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("ASIAFAKE"), proc.stdout
