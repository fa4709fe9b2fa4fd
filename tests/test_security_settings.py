"""Production refuses forgeable keys, trusts the TLS proxy and sends HSTS (docs/security.md)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password

from accounts.tests.factories import UserFactory
from hucares.settings.keycheck import key_problem, production_key_errors
from tests.layout import server_services

ROOT = Path(__file__).resolve().parent.parent
# Looks random, but is written here, in the repository: production must refuse it.
KEY_WRITTEN_IN_THE_REPOSITORY = "Vd3Kq9ZpL2mX7wR4tY8nB1cF6gH0jS5aQeUiOoPzWxNvMbTkJhGfDsAlRy"
COMPOSE_FALLBACK_KEY = "change-me-to-a-long-random-value-before-any-real-deployment-0000"


def _fresh() -> str:
    return secrets.token_urlsafe(64)


def _production(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "JWT_", "DEBUG"))}
    env = {k: v for k, v in env.items() if not k.startswith(("EMAIL_URL", "ALLOW_CONSOLE_EMAIL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "hucares.settings.production", "ALLOW_CONSOLE_EMAIL": "true"})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_fresh_random_key_is_accepted() -> None:
    assert key_problem(_fresh(), ROOT) is None


def test_a_hex_key_is_accepted() -> None:
    assert key_problem(secrets.token_hex(32), ROOT) is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (COMPOSE_FALLBACK_KEY, "placeholder word 'change'"),
        ("django-insecure-" + secrets.token_urlsafe(48), "placeholder word 'insecure'"),
        ("my-secret-" + secrets.token_urlsafe(48), "placeholder word 'secret'"),
        ("ab" * 40, "distinct characters"),
        (secrets.token_urlsafe(30), "shorter than 50"),
        (KEY_WRITTEN_IN_THE_REPOSITORY, "written in the repository (tests/test_security_settings.py)"),
    ],
)
def test_forgeable_keys_are_refused(key: str, reason: str) -> None:
    problem = key_problem(key, ROOT)
    assert problem is not None
    assert reason in problem


def test_a_key_in_any_shipped_file_is_refused_but_not_one_in_a_local_dot_file(tmp_path: Path) -> None:
    key = _fresh()
    (tmp_path / ".env").write_text(f"SECRET_KEY={key}\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "cfg").write_text(key)
    assert key_problem(key, tmp_path) is None

    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "compose.yml").write_text(f"SECRET_KEY: ${{SECRET_KEY:-{key}}}\n")
    assert key_problem(key, tmp_path) == "it is written in the repository (docker/compose.yml)"


def test_the_jwt_key_is_required_and_must_differ_from_the_secret_key() -> None:
    secret = _fresh()
    assert production_key_errors(secret_key=secret, jwt_signing_key="", previous_jwt_key="", root=ROOT) == [
        "JWT_SIGNING_KEY must be set in production."
    ]
    errors = production_key_errors(secret_key=secret, jwt_signing_key=secret, previous_jwt_key="", root=ROOT)
    assert errors == ["JWT_SIGNING_KEY must differ from SECRET_KEY."]
    jwt = _fresh()
    errors = production_key_errors(secret_key=secret, jwt_signing_key=jwt, previous_jwt_key=jwt, root=ROOT)
    assert errors == ["JWT_PREVIOUS_SIGNING_KEY must differ from JWT_SIGNING_KEY and SECRET_KEY."]
    assert production_key_errors(secret_key=secret, jwt_signing_key=jwt, previous_jwt_key=_fresh(), root=ROOT) == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": COMPOSE_FALLBACK_KEY, "JWT_SIGNING_KEY": _fresh()}, "SECRET_KEY is refused"),
        ({"SECRET_KEY": _fresh()}, "JWT_SIGNING_KEY must be set"),
        ({"SECRET_KEY": _fresh(), "JWT_SIGNING_KEY": KEY_WRITTEN_IN_THE_REPOSITORY}, "JWT_SIGNING_KEY is refused"),
    ],
)
def test_production_does_not_start_with_a_forgeable_key(overrides: dict[str, str], named: str) -> None:
    result = _production(["manage.py", "check"], overrides)
    assert result.returncode != 0
    assert named in result.stderr


@pytest.mark.django_db(transaction=True)
def test_admin_login_works_through_the_tls_proxy_and_hsts_is_sent() -> None:
    password = "Admin-Pass-42"
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    # The test settings hash with MD5 first, which production does not know.
    staff.password = make_password(password, hasher="pbkdf2_sha256")
    staff.save(update_fields=["password"])
    result = _production(
        ["-m", "tests.production_probe"],
        {
            "SECRET_KEY": _fresh(),
            "JWT_SIGNING_KEY": _fresh(),
            "ALLOWED_HOSTS": "hucares.example",
            "DATABASE_URL": server_services()["DATABASE_URL"],
            "PROBE_HOST": "hucares.example",
            "PROBE_EMAIL": staff.email,
            "PROBE_PASSWORD": password,
            "LOG_LEVEL": "ERROR",
        },
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["loginPage"] == 200
    assert outcome["hsts"] == "max-age=31536000; includeSubDomains; preload"
    # A CSRF failure answers 403; a signed-in admin is sent on to the index.
    assert outcome["login"] == 302, outcome
    assert outcome["redirect"] == "/admin/"
    # Plain HTTP (no proxy header) gets no HSTS: browsers ignore it there anyway.
    assert outcome["plainHsts"] is None


def _git_repository(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def test_a_key_in_a_tracked_dot_file_is_refused(tmp_path: Path) -> None:
    _git_repository(tmp_path)
    key = _fresh()
    (tmp_path / ".jwt_signing_key").write_text(key + "\n")
    (tmp_path / ".tls").mkdir()
    (tmp_path / ".tls" / "privkey.pem").write_text("not a key\n")
    assert key_problem(key, tmp_path) is None  # on the machine only: git ignores it or never saw it

    subprocess.run(["git", "-C", str(tmp_path), "add", "-f", ".jwt_signing_key"], check=True)

    assert key_problem(key, tmp_path) == "it is written in the repository (.jwt_signing_key)"


def test_the_key_once_committed_to_the_repository_is_refused() -> None:
    # Its digest is all the check keeps; the key itself is in the history only.
    published = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--all", "--format=%H", "--", ".jwt_signing_key"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if not published:
        pytest.skip("this checkout has no history of the committed key")
    shown = ["git", "-C", str(ROOT), "show", f"{published[-1]}:.jwt_signing_key"]
    key = subprocess.run(shown, capture_output=True, text=True, check=True).stdout.strip()

    assert key_problem(key, ROOT) == (
        'it was published in the repository\'s history (docs/operations.md, "Rotating the JWT key")'
    )


def test_no_key_material_is_tracked() -> None:
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True)
    names = tracked.stdout.split()

    assert [name for name in names if name.endswith((".key", ".pem", "_key")) or name.startswith(".tls/")] == []


@pytest.mark.parametrize("email_url", ["", "consolemail://"])
def test_production_refuses_the_console_email_backend_unless_allowed(email_url: str) -> None:
    keys = {"SECRET_KEY": _fresh(), "JWT_SIGNING_KEY": _fresh(), "EMAIL_URL": email_url}

    refused = _production(["manage.py", "check"], {**keys, "ALLOW_CONSOLE_EMAIL": "false"})
    allowed = _production(["manage.py", "check"], {**keys, "ALLOW_CONSOLE_EMAIL": "true"})
    smtp = _production(
        ["manage.py", "check"], {**keys, "ALLOW_CONSOLE_EMAIL": "false", "EMAIL_URL": "smtp+tls://u:p@mail.example:587"}
    )

    assert refused.returncode != 0
    assert "EMAIL_URL must name a mail server in production" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert smtp.returncode == 0, smtp.stderr
