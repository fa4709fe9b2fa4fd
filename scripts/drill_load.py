"""Writes data through the API (the whole Django stack, in process) for the
restore drill: ``python scripts/drill_load.py TAG USERS``. Each user signs
up; the first creates a group the others join by access code; each checks
in. Reads DATABASE_URL; runs without Redis (tasks inline, local cache)."""

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")
os.environ.setdefault("RATELIMIT_ENABLE", "false")
os.environ.setdefault("EMAIL_URL", "dummymail://")

import django

django.setup()

from django.test import Client  # noqa: E402

PASSWORD = "Drill-pass-2024!"  # throwaway accounts in a throwaway cluster


def call(client: Client, method: str, path: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = getattr(client, method)(path, body, content_type="application/json", **headers)
    if response.status_code not in (200, 201):
        raise SystemExit(f"{method.upper()} {path}: {response.status_code} {response.content[:300]!r}")
    return dict(response.json()["data"])


def load(tag: str, users: int) -> None:
    client = Client()
    tokens = []
    for i in range(users):
        name = f"{tag}_{i}"
        auth = call(
            client,
            "post",
            "/api/v1/auth/register",
            {"username": name, "email": f"{name}@example.org", "password": PASSWORD},
        )
        tokens.append(auth["accessToken"])
    group = call(client, "post", "/api/v1/groups", {"name": f"Drill {tag}"}, tokens[0])
    for token in tokens[1:]:
        call(client, "post", "/api/v1/groups/join", {"accessCode": group["accessCode"]}, token)
    for i, token in enumerate(tokens):
        scores = {"groupId": group["id"], "productive": 1 + i % 10, "satisfied": 5, "body": 6, "care": 7}
        call(client, "post", "/api/v1/checkins", scores, token)


if __name__ == "__main__":
    load(sys.argv[1], int(sys.argv[2]))
