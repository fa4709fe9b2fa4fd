"""The cached group list and current periods (groups.cache.viewer_groups) follow every write that changes them."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.services import checkin_delete, checkin_submit, checkin_update
from groups.models import Group
from groups.services import group_create, group_join, group_leave, group_update

pytestmark = pytest.mark.django_db


def names(client: APIClient) -> list[str]:
    response = client.get("/api/v1/groups")
    assert response.status_code == 200
    return [group["name"] for group in response.json()["data"]]


def current(client: APIClient) -> list[dict[str, Any]]:
    response = client.get("/api/v1/checkins/current")
    assert response.status_code == 200
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture
def member(client_for: Any) -> tuple[User, APIClient, Group]:
    owner = UserFactory.create(email_verified=True)
    group = group_create(user=owner, name="Beta")
    user = UserFactory.create(email_verified=True)
    group_join(user=user, access_code=group.access_code)
    return user, client_for(user), group


def test_the_cached_list_follows_joins_renames_and_leaves(member: tuple[User, APIClient, Group]) -> None:
    user, client, beta = member
    assert names(client) == ["Beta"] == names(client)  # the second from the cache

    other_admin = UserFactory.create(email_verified=True)
    other = group_create(user=other_admin, name="Alpha")
    group_join(user=user, access_code=other.access_code)
    assert names(client) == ["Alpha", "Beta"]

    group_update(group=other, by=other_admin, name="Gamma")
    assert names(client) == ["Beta", "Gamma"]

    group_leave(group=beta, user=user)
    assert names(client) == ["Gamma"]


def test_the_cached_list_shows_a_co_members_check_in_in_the_group_totals(
    member: tuple[User, APIClient, Group],
) -> None:
    _user, client, group = member
    assert client.get("/api/v1/groups").json()["data"][0]["totalCheckIns"] == 0

    assert group.created_by is not None
    checkin_submit(user=group.created_by, group_id=group.pk, productive=8, satisfied=7, body=6, care=5)

    assert client.get("/api/v1/groups").json()["data"][0]["totalCheckIns"] == 1


def test_the_cached_current_periods_follow_the_users_own_check_in(member: tuple[User, APIClient, Group]) -> None:
    user, client, group = member
    assert current(client)[0]["checkIn"] is None
    assert current(client)[0]["checkIn"] is None  # from the cache

    check_in = checkin_submit(user=user, group_id=group.pk, productive=8, satisfied=7, body=6, care=5)
    assert current(client)[0]["checkIn"]["productive"] == 8

    checkin_update(check_in=check_in, user=user, productive=3)
    assert current(client)[0]["checkIn"]["productive"] == 3

    checkin_delete(check_in=CheckIn.objects.get(pk=check_in.pk), user=user)
    assert current(client)[0]["checkIn"] is None
