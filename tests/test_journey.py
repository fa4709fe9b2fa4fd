"""One friend group's life through the public API only, with real tokens.

Register and verify, create a group, a friend joins by code, both check in,
privacy hides a score, notifications and analytics follow, export, logout.
Each step asserts what a client would rely on; the apps' own tests cover the
rules in depth.
"""

import csv
import io
import re
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "Quiet-Lake-58"


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]


def signed_up(username: str) -> tuple[APIClient, dict[str, Any]]:
    client = APIClient()
    payload = data(
        client.post(
            "/api/v1/auth/register", {"username": username, "email": f"{username}@Example.org", "password": PASSWORD}
        ),
        201,
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {payload['accessToken']}")
    return client, payload


def verification_token(address: str) -> str:
    message = next(m for m in reversed(mail.outbox) if address in m.to)
    match = re.search(r"verify-email\?token=([A-Za-z0-9_\-]+)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_a_friend_group_from_sign_up_to_logout(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ada, ada_auth = signed_up("ada_l")
    assert ada_auth["user"]["email"] == "ada_l@example.org"
    assert ada_auth["user"]["emailVerified"] is False
    data(APIClient().post("/api/v1/auth/verify-email", {"token": verification_token("ada_l@example.org")}))
    assert data(ada.get("/api/v1/users/profile"))["emailVerified"] is True

    group = data(ada.post("/api/v1/groups", {"name": "Sunday crew", "allowMemberInvite": True}), 201)
    assert group["myRole"] == "admin"
    assert len(group["accessCode"]) == 8

    with django_capture_on_commit_callbacks(execute=True):
        bo, _ = signed_up("bo_k")
        joined = data(bo.post("/api/v1/groups/join", {"accessCode": group["accessCode"].lower()}))
    assert joined["memberCount"] == 2
    members = data(ada.get(f"/api/v1/groups/{group['id']}/members"))
    assert {m["user"]["username"] for m in members} == {"ada_l", "bo_k"}
    assert set(members[0]["user"]) == {"id", "username", "avatarUrl"}

    scores = {"groupId": group["id"], "productive": 8, "satisfied": 7, "body": 6, "care": 9}
    with django_capture_on_commit_callbacks(execute=True):
        mine = data(ada.post("/api/v1/checkins", scores), 201)
        data(bo.post("/api/v1/checkins", {**scores, "care": 1, "isPrivate": True}), 201)
    assert mine["huCaresScore"] == 12
    duplicate = ada.post("/api/v1/checkins", scores)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "DUPLICATE_CHECKIN"

    seen_by_ada = {c["username"]: c for c in data(ada.get(f"/api/v1/checkins/group/{group['id']}"))}
    assert seen_by_ada["ada_l"]["huCaresScore"] == 12
    assert seen_by_ada["bo_k"]["huCaresScore"] is None
    assert seen_by_ada["bo_k"]["productive"] is None

    notifications = ada.get("/api/v1/notifications")
    types = {n["type"] for n in data(notifications)}
    assert {"member_joined", "friend_check_in"} <= types
    assert notifications.json()["meta"]["unreadCount"] >= 2

    figures = data(ada.get(f"/api/v1/analytics/group/{group['id']}?weeks=4"))
    this_period = figures["periods"][-1]
    assert this_period["checkInCount"] == 2  # both check-ins exist for members...
    assert this_period["averages"]["huCaresScore"] == 12  # ...but only the visible score is averaged
    personal = data(ada.get(f"/api/v1/analytics/personal?weeks=4&groupId={group['id']}"))
    assert personal["series"][-1]["huCaresScore"] == 12

    export = ada.get("/api/v1/checkins/export?format=csv")
    assert export.status_code == 200
    content = b"".join(export.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [row["huCaresScore"] for row in rows] == ["12"]

    data(ada.post("/api/v1/auth/logout", {"refreshToken": ada_auth["refreshToken"]}))
    after = ada.get("/api/v1/users/profile")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "TOKEN_INVALID"
