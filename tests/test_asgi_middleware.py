"""The middleware's async path (the ASGI application's chain), beside the sync one the other tests use."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient, Client

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from checkins.models import CheckIn
from groups.tests.factories import GroupFactory, MembershipFactory
from realtime.tests.helpers import access_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def _release_async_orm_connection() -> AsyncIterator[None]:
    # The async ORM calls run on asgiref's one sync thread, whose connection Django does not close by itself.
    yield
    await sync_to_async(connections.close_all)()


SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}


@sync_to_async
def member_token() -> tuple[Any, str]:
    group = GroupFactory.create(member_count=1)
    return group, access_token(MembershipFactory.create(group=group).user)


async def test_a_resent_checkin_is_replayed_by_the_async_chain() -> None:
    group, token = await member_token()
    client = AsyncClient()
    body = {"groupId": str(group.pk), **SCORES}

    async def send(key: str) -> Any:
        return await client.post(
            "/api/v1/checkins",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": key, "Authorization": f"Bearer {token}"},
        )

    first, again = await send("async-1"), await send("async-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert await CheckIn.objects.acount() == 1
    assert first["X-Request-ID"]
    assert first["Content-Security-Policy"]
    assert (await send("not ascii \u00e9")).json()["error"]["code"] == "VALIDATION_ERROR"


async def test_static_files_are_served_by_both_chains_and_other_paths_go_on() -> None:
    served = await AsyncClient().get("/static/web/app.css")
    assert served.status_code == 200
    content = served.getvalue()
    assert b"{" in content
    assert content == (await sync_to_async(Client().get)("/static/web/app.css")).getvalue()
    missing = await AsyncClient().get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_the_admin_sign_in_limit_answers_through_the_async_chain() -> None:
    # django-axes' async path hands the lockout callable other arguments than its sync path; ours reads neither.
    staff = await sync_to_async(UserFactory.create)(is_staff=True)
    client = AsyncClient()

    async def sign_in(email: str, password: str) -> Any:
        body = {"username": email, "password": password, "next": "/admin/"}
        return await client.post("/admin/login/?next=/admin/", body)

    answers = [(await sign_in(f"guess{index}@example.com", "Wrong-Pass-1")).status_code for index in range(5)]
    refused = await sign_in(staff.email, DEFAULT_PASSWORD)

    assert answers == [200, 200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
