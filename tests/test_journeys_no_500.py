"""Every main journey over real HTTP (and one live event over a real socket), against a served
process: no answer is a 500, whatever the layout.

The suite runs twice in CI: on PostgreSQL and Redis (``make test``) and on the
embedded default (``make test-embedded``: SQLite, in-memory channel layer,
local-memory cache, inline tasks). The journeys go through register, profile,
groups, check-ins, history, search, analytics, insights, notifications, export
and import, so that a query one database cannot run shows up here as a 500.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Origin, Subprotocol

pytestmark = [pytest.mark.e2e]

PASSWORD = "Quiet-Lake-58"
FIXTURES = Path(__file__).resolve().parent.parent / "checkins" / "tests" / "fixtures"


class Journey:
    """One person's HTTP client; every answer it got, for the no-500 check at the end."""

    def __init__(self, base_url: str, seen: list[tuple[str, str, int]]) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=30)
        self.seen = seen
        self.token = ""

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.seen.append((method, path, response.status_code))
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text[:500]}"
        if not response.headers.get("content-type", "").startswith("application/json"):
            return response.text
        body = response.json()
        # The export's JSON form is a file, not an envelope.
        return body["data"] if isinstance(body, dict) and "success" in body else body

    def register(self, username: str) -> dict[str, Any]:
        body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
        auth = self.call("POST", "/auth/register", 201, json=body)
        self.token = auth["accessToken"]
        return auth


async def next_event(ws: Any, name: str, timeout: float = 20) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["event"] == name:
                return frame


def test_main_journeys_answer_no_500(live_daphne: str) -> None:
    seen: list[tuple[str, str, int]] = []
    ada, bo = Journey(live_daphne, seen), Journey(live_daphne, seen)
    ada_auth = ada.register("ada_journey")
    bo.register("bo_journey")

    # Profile: read, change, and hide one's scores (the privacy rule's JSON key).
    assert ada.call("GET", "/users/profile", 200)["username"] == "ada_journey"
    ada.call("PATCH", "/users/profile", 200, json={"timezone": "Europe/Berlin"})
    bo.call("PATCH", "/users/profile", 200, json={"privacySettings": {"profile": "friends", "scores": "private"}})

    # Groups: create, join by code, list, members.
    group = ada.call("POST", "/groups", 201, json={"name": "Journey crew"})
    bo.call("POST", "/groups/join", 200, json={"accessCode": group["accessCode"]})
    assert [g["id"] for g in bo.call("GET", "/groups", 200)] == [group["id"]]
    assert len(ada.call("GET", f"/groups/{group['id']}/members", 200)) == 2

    # Check-ins, with bo's socket open: ada's check-in reaches it as a live event.
    scores = {"groupId": group["id"], "productive": 8, "satisfied": 7, "body": 6, "care": 2}

    async def check_in_while_bo_listens() -> dict[str, Any]:
        protocols = [Subprotocol("hucares.v1"), Subprotocol(f"hucares.auth.{bo.token}")]
        url = live_daphne.replace("http://", "ws://") + "/ws/"
        async with websockets.connect(url, subprotocols=protocols, origin=Origin(live_daphne)) as ws:
            await next_event(ws, "connected")
            await asyncio.to_thread(ada.call, "POST", "/checkins", 201, json=scores)
            return await next_event(ws, "friend-checked-in")

    event = asyncio.run(check_in_while_bo_listens())
    assert event["data"]["huCaresScore"] == 19
    bo.call("POST", "/checkins", 201, json={**scores, "care": 9})
    assert ada.call("GET", "/checkins/current", 200)
    assert len(ada.call("GET", "/checkins/history", 200)) == 1
    by_user = {c["username"]: c for c in ada.call("GET", f"/checkins/group/{group['id']}", 200)}
    assert by_user["bo_journey"]["huCaresScore"] is None  # bo hides his scores

    # Search: bo is findable (his profile is not private); ada does not find herself.
    assert [u["username"] for u in ada.call("GET", "/users/search", 200, params={"q": "bo_j"})] == ["bo_journey"]
    assert ada.call("GET", "/users/search", 200, params={"q": "ada_j"}) == []

    # Analytics: every figure, each through the score-privacy rule.
    periods = ada.call("GET", f"/analytics/group/{group['id']}", 200, params={"weeks": 4})["periods"]
    assert periods[-1]["checkInCount"] == 2
    assert periods[-1]["averages"]["huCaresScore"] == 19  # bo's hidden score is not averaged
    ada.call("GET", "/analytics/personal", 200, params={"weeks": 4})
    ada.call("GET", "/analytics/comparison", 200, params={"groupId": group["id"]})
    bo.call("GET", "/analytics/comparison", 200, params={"groupId": group["id"]})
    ada.call("GET", "/analytics/insights", 200)
    bo.call("GET", "/analytics/insights", 200)

    # Notifications: bo was told of ada's check-in; read them all.
    assert "friend_check_in" in {n["type"] for n in bo.call("GET", "/notifications", 200)}
    bo.call("POST", "/notifications/read-all", 200)

    # Export in both forms, and the old app's data imported.
    assert "huCaresScore" in ada.call("GET", "/checkins/export", 200, params={"format": "csv"})
    assert len(ada.call("GET", "/checkins/export", 200, params={"format": "json"})) == 1
    export = json.loads((FIXTURES / "export-berlin.json").read_text())
    imported = ada.call("POST", "/migration/localstorage", 201, json={**export, "timezone": "Europe/Berlin"})
    ada.call("POST", f"/migration/{imported['importId']}/rollback", 200)

    ada.call("POST", "/auth/logout", 200, json={"refreshToken": ada_auth["refreshToken"]})
    assert [call for call in seen if call[2] >= 500] == []
