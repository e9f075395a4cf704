"""`awsproxy token get` against the CodeArtifact fake, compared with what the AWS
CLI's `aws codeartifact get-authorization-token` gets from the same fake."""

import json
import subprocess
from datetime import datetime, timezone

from conftest import run

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDFAKESTATIC", "AWS_SECRET_ACCESS_KEY": "fake-static-secret-access-key"}
DOMAIN = ["--domain", "fake-domain", "--domain-owner", "123456789012"]


def parse_time(value):
    """An ISO 8601 string, or epoch seconds (the AWS CLI v1 prints timestamps as it got them)."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def test_token_get_matches_the_aws_cli(fake_aws, env):
    e = fake_aws.env(env)
    e.update(STATIC)
    cli = subprocess.run(
        ["aws", "codeartifact", "get-authorization-token", *DOMAIN, "--duration-seconds", "1800", "--output", "json"],
        env=e, capture_output=True, text=True, timeout=60, check=True,
    )
    cli = json.loads(cli.stdout)

    ours = json.loads(run(e, "token", "get", *DOMAIN, "--duration", "1800", "--json").stdout)
    plain = run(e, "token", "get", *DOMAIN, "--duration", "1800").stdout

    # Both tokens are real ones the fake issued; the plain output is the cached token alone.
    issued = fake_aws.codeartifact_tokens()
    assert cli["authorizationToken"] in issued and ours["token"] in issued
    assert plain == ours["token"] + "\n"
    assert fake_aws.calls("GetAuthorizationToken") == 2  # the CLI's and our first; the third came from the cache
    # Same lifetime, same instant format semantics.
    assert abs((parse_time(ours["expiration"]) - parse_time(cli["expiration"])).total_seconds()) < 30
    assert ours["domain"] == "fake-domain" and ours["owner"] == "123456789012" and ours["region"] == "us-east-1"
