"""Queries per request of every class of the load test's phone mix (loadtest/seed.py), cold and warm.

Each request goes through the whole stack as a phone sends it: a Bearer
access token of a real session (the session check, the cached user), the
middleware, the view. "Cold" is the first request after the cache was
emptied (a restart of Redis, an eviction); "warm" is the same request again,
which is what nearly every request of the mix is. The counts are exact, so
that a query added to any of these paths shows here first and is a choice.
"""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import ClientInfo, session_start
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from checkins.models import CheckIn
from checkins.services import checkin_submit
from groups.models import Group
from groups.services import group_create, group_join

pytestmark = pytest.mark.django_db

SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 5}


class Phone:
    """One member of a group of three who all checked in this period, signed in with a Bearer token."""

    def __init__(self) -> None:
        members = [UserFactory.create(email_verified=True) for _ in range(3)]
        self.group: Group = group_create(user=members[0], name="Query counts")
        for member in members[1:]:
            group_join(user=member, access_code=self.group.access_code)
        for member in members:
            checkin_submit(user=member, group_id=self.group.pk, productive=8, satisfied=7, body=6, care=5)
        self.user: User = members[1]
        pair = session_start(user=self.user, client=ClientInfo())
        self.refresh_token = pair.refresh
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")

    def get(self, path: str) -> Any:
        return self.client.get(path.format(group=self.group.pk))


@pytest.fixture
def phone() -> Phone:
    return Phone()


# (class of the mix, path, queries cold, queries warm)
READS = [
    ("feed", "/api/v1/checkins/group/{group}", 7, 0),
    ("groups", "/api/v1/groups", 6, 0),
    ("group", "/api/v1/groups/{group}", 6, 0),
    ("members", "/api/v1/groups/{group}/members", 7, 2),
    ("current", "/api/v1/checkins/current", 7, 0),
    ("notifications", "/api/v1/notifications", 6, 2),
    ("history", "/api/v1/checkins/history", 7, 3),
    ("profile", "/api/v1/users/profile", 4, 0),
    ("analytics_personal", "/api/v1/analytics/personal", 7, 0),
    ("analytics_group", "/api/v1/analytics/group/{group}", 8, 1),
]


@pytest.mark.parametrize(("path", "cold", "warm"), [row[1:] for row in READS], ids=[row[0] for row in READS])
def test_each_read_of_the_mix_has_its_query_count(
    phone: Phone, django_assert_num_queries: Callable[..., Any], path: str, cold: int, warm: int
) -> None:
    cache.clear()
    with django_assert_num_queries(cold):
        assert phone.get(path).status_code == 200
    assert phone.get(path).status_code == 200
    with django_assert_num_queries(warm):
        assert phone.get(path).status_code == 200


@pytest.mark.services_only  # the count of PostgreSQL, the production database (SQLite makes fewer statements)
def test_a_check_in_write_of_the_mix_has_its_query_count(
    phone: Phone, django_assert_num_queries: Callable[..., Any]
) -> None:
    # As the load test writes: POST first in a period, then PATCH, each with its own Idempotency-Key.
    # The savepoints of the atomic blocks count as queries here.
    CheckIn.objects.filter(user=phone.user).delete()
    phone.get("/api/v1/users/profile")
    phone.get("/api/v1/users/profile")
    body = {"groupId": str(phone.group.pk), **SCORES}
    with django_assert_num_queries(12):
        created = phone.client.post("/api/v1/checkins", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert created.status_code == 201
    path = f"/api/v1/checkins/{created.json()['data']['id']}"
    with django_assert_num_queries(12):
        edited = phone.client.patch(path, SCORES, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert edited.status_code == 200


def test_refresh_and_login_of_the_mix_have_their_query_counts(
    phone: Phone, django_assert_num_queries: Callable[..., Any]
) -> None:
    anonymous = APIClient()
    with django_assert_num_queries(7):
        refreshed = anonymous.post("/api/v1/auth/refresh", {"refreshToken": phone.refresh_token}, format="json")
    assert refreshed.status_code == 200
    with django_assert_num_queries(7):
        login = {"email": phone.user.email, "password": DEFAULT_PASSWORD}
        assert anonymous.post("/api/v1/auth/login", login, format="json").status_code == 200
