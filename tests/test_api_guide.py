"""docs/api.md shows answers as the server gives them."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def shape(value: Any) -> Any:
    """The keys and JSON types of ``value``, the values left out; a list by its first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def documented_answer(section: str) -> dict[str, Any]:
    text = GUIDE.read_text().split(f"### {section}\n", 1)[1]
    block = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert block is not None, f"no JSON example under '### {section}'"
    return dict(json.loads(block.group(1)))


# Committed rows: the long-poll is an async view whose session check runs on
# another thread's connection, which must see the session the login made.
@pytest.mark.django_db(transaction=True)
def test_the_long_poll_answer_in_the_guide_is_the_envelope_the_server_sends() -> None:
    client = APIClient()
    user = UserFactory.create()
    login = client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['data']['accessToken']}")

    served = client.get("/api/v1/events").json()
    documented = documented_answer("Long-poll")

    assert shape({**documented, "data": {**documented["data"], "events": []}}) == shape(served)
    assert set(documented["data"]["events"][0]) == {"event", "data", "cursor"}
