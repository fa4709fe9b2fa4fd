"""The shipped compose files: no secret has a default, and compose refuses to
start without one (checked with docker-compose, as operators run it)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker" / "compose.yml"
SECRETS = {
    "SECRET_KEY": "s" * 64,
    "JWT_SIGNING_KEY": "j" * 64,
    "POSTGRES_PASSWORD": "p" * 32,
    "GRAFANA_ADMIN_PASSWORD": "g" * 32,
    # Not secrets, but without them mails and alerts reach nobody.
    "EMAIL_URL": "smtp+tls://mailer:password@mail.example:587",
    "ALERT_WEBHOOK_URL": "https://alerts.example/hucares",
}

needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")


def _config(env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update(env_overrides)
    # An empty env file: a developer's docker/.env must not satisfy the check.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    return subprocess.run(
        ["docker-compose", "--env-file", str(empty), "-f", str(COMPOSE), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_compose
@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "JWT_SIGNING_KEY", "POSTGRES_PASSWORD", "EMAIL_URL", "ALERT_WEBHOOK_URL"]
)
def test_compose_refuses_to_start_without_a_secret(missing: str, tmp_path: Path) -> None:
    result = _config({k: v for k, v in SECRETS.items() if k != missing}, tmp_path)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


@needs_compose
def test_compose_config_is_valid_with_every_secret_set(tmp_path: Path) -> None:
    result = _config(SECRETS, tmp_path)
    assert result.returncode == 0, result.stderr


def test_no_secret_in_compose_has_a_default() -> None:
    text = COMPOSE.read_text()
    secretish = re.compile(r"\$\{(\w*(?:SECRET|KEY|PASSWORD|TOKEN)\w*?)(_FILE)?(:?[-?])?")
    found = secretish.findall(text)
    assert {name for name, _, _ in found} >= {"SECRET_KEY", "JWT_SIGNING_KEY", "POSTGRES_PASSWORD"}
    # A *_FILE variable names where a secret is read from; the value itself never has a default.
    assert [name for name, is_file, op in found if not is_file and op != ":?"] == []


def test_alert_receivers_come_from_the_environment() -> None:
    shipped = (ROOT / "docker" / "alertmanager" / "alertmanager.yml").read_text()
    start = (ROOT / "docker" / "alertmanager" / "start.sh").read_text()
    assert ".invalid" not in shipped
    assert "url:" not in shipped  # every receiver reads the address start.sh writes
    assert shipped.count("url_file: /alertmanager/webhook_url") == 2
    assert "ALERT_WEBHOOK_URL must be set" in start


def test_alertmanager_refuses_to_start_without_a_receiver(tmp_path: Path) -> None:
    # start.sh as the container runs it, with the binary swapped for a stub that reports its arguments.
    script = (ROOT / "docker" / "alertmanager" / "start.sh").read_text()
    script = script.replace("/alertmanager/webhook_url", str(tmp_path / "webhook_url"))
    script = script.replace("exec /bin/alertmanager", "echo alertmanager")
    env = {"PATH": os.environ["PATH"]}
    refused = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=False)
    started = subprocess.run(
        ["sh", "-c", script],
        env={**env, "ALERT_WEBHOOK_URL": "https://alerts.example/x?a=1&b=2"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "ALERT_WEBHOOK_URL must be set" in refused.stderr
    assert started.returncode == 0, started.stderr
    assert (tmp_path / "webhook_url").read_text() == "https://alerts.example/x?a=1&b=2"
