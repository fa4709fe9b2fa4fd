"""Starting a socket: token, ``user_sessions`` row and presence in one call."""

import uuid
from datetime import timedelta

import pytest

from accounts.tokens import revoke_access
from groups.tests.factories import MembershipFactory
from realtime import presence, services
from realtime.models import UserSession

from .helpers import access_token

pytestmark = pytest.mark.django_db


def open_socket(token: str, socket_id: str = "sock-1") -> services.OpenedSocket | None:
    return services.socket_open(token=token, socket_id=socket_id, user_agent="UA/1", ip_address="192.0.2.1")


def test_a_valid_token_records_the_socket_and_counts_it_online() -> None:
    membership = MembershipFactory.create()
    friend = MembershipFactory.create(group=membership.group)
    opened = open_socket(access_token(membership.user))
    assert opened is not None
    assert opened.user == membership.user
    assert opened.claims["userId"] == str(membership.user_id)
    row = UserSession.objects.get()
    assert (row.pk, row.user_id, row.socket_id, row.user_agent, row.ip_address) == (
        opened.session.pk,
        membership.user_id,
        "sock-1",
        "UA/1",
        "192.0.2.1",
    )
    assert opened.audience == {friend.user_id}
    assert presence.online_user_ids([membership.user_id]) == {membership.user_id}
    presence.socket_gone(membership.user_id, "sock-1")


def test_a_second_socket_of_the_same_user_has_no_audience() -> None:
    membership = MembershipFactory.create()
    MembershipFactory.create(group=membership.group)
    token = access_token(membership.user)
    first, second = open_socket(token, "sock-1"), open_socket(token, "sock-2")
    assert first is not None
    assert first.audience
    assert second is not None
    assert second.audience == set()
    assert UserSession.objects.count() == 2
    presence.socket_gone(membership.user_id, "sock-1")
    presence.socket_gone(membership.user_id, "sock-2")


def test_a_bad_expired_or_revoked_token_records_nothing() -> None:
    membership = MembershipFactory.create()
    sid = uuid.uuid4()
    revoked = access_token(membership.user, sid=sid)
    revoke_access(sids=[str(sid)])
    for token in ["not-a-jwt", access_token(membership.user, lifetime=timedelta(seconds=-5)), revoked]:
        assert open_socket(token) is None
    assert not UserSession.objects.exists()
    assert presence.online_user_ids([membership.user_id]) == set()


def test_an_inactive_user_cannot_open_a_socket() -> None:
    membership = MembershipFactory.create()
    token = access_token(membership.user)
    membership.user.is_active = False
    membership.user.save()
    assert open_socket(token) is None
    assert not UserSession.objects.exists()
