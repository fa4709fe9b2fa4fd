"""Presence in Redis: counting sockets, lapsing, the sweep of stale rows."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from groups.tests.factories import MembershipFactory
from realtime import presence, services
from realtime.models import UserSession
from realtime.presence import LocalPresence, online_user_ids

from .conftest import events_named


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.services_only), "local"])
def store(request, settings, monkeypatch):
    if request.param == "local":
        settings.REDIS_URL = ""
    chosen = presence.store()
    assert isinstance(chosen, LocalPresence) == (request.param == "local")
    return chosen


def test_first_socket_comes_online_and_last_goes_offline(store) -> None:
    user = uuid.uuid4()
    assert presence.socket_connected(user, "a") is True
    assert presence.socket_connected(user, "b") is False
    assert online_user_ids([user, uuid.uuid4()]) == {user}
    assert presence.socket_gone(user, "a") is False
    assert presence.socket_gone(user, "b") is True
    assert online_user_ids([user]) == set()


def test_unknown_socket_going_away_announces_nothing(store) -> None:
    assert presence.socket_gone(uuid.uuid4(), "never-seen") is False


def test_sockets_without_heartbeat_lapse_and_heartbeats_keep_them(store, settings) -> None:
    settings.REALTIME_PRESENCE_TTL = 60
    alive, dead = uuid.uuid4(), uuid.uuid4()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        presence.socket_connected(alive, "a")
        presence.socket_connected(dead, "d")
        clock.shift(timedelta(seconds=45))
        presence.socket_alive(alive, "a")
        clock.shift(timedelta(seconds=30))
        assert online_user_ids([alive, dead]) == {alive}


def test_a_socket_gone_within_the_grace_keeps_its_user_from_coming_online_again(store, settings) -> None:
    settings.REALTIME_PRESENCE_TTL = 60
    settings.REALTIME_OFFLINE_GRACE = 30
    user = uuid.uuid4()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert presence.socket_connected(user, "a") is True
        clock.shift(timedelta(seconds=60 + 20))  # "a" lapsed 20 s ago, within the grace
        assert online_user_ids([user]) == set()
        assert presence.socket_connected(user, "b") is False
        assert presence.socket_gone(user, "a") is False  # its departure, flushed after the grace: "b" lives
        clock.shift(timedelta(seconds=60 + 31))  # "b" lapsed 31 s ago, past the grace
        assert presence.socket_connected(user, "c") is True


def test_online_user_ids_of_nobody_is_empty() -> None:
    assert online_user_ids([]) == set()


@pytest.mark.django_db
def test_sweep_deletes_stale_rows_and_announces_offline(settings, published) -> None:
    membership = MembershipFactory.create()
    friend = MembershipFactory.create(group=membership.group).user
    user = membership.user
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=10), tick=False):
        presence.socket_connected(user.pk, "dead-socket")
        UserSession.objects.create(user=user, socket_id="dead-socket")
    fresh = UserSession.objects.create(user=friend, socket_id="live-socket")
    with time_machine.travel(now, tick=False):
        assert services.sessions_sweep_stale() == 1
    assert list(UserSession.objects.all()) == [fresh]
    assert [(t, m["event"]) for t, m in events_named(published, "user-offline")] == [
        (f"user.{friend.pk}", {"event": "user-offline", "data": {"userId": str(user.pk)}})
    ]


@pytest.mark.django_db
def test_sweep_keeps_quiet_while_another_socket_lives(published) -> None:
    user = MembershipFactory.create().user
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=10), tick=False):
        UserSession.objects.create(user=user, socket_id="dead-socket")
        presence.socket_connected(user.pk, "dead-socket")
    presence.socket_connected(user.pk, "live-socket")
    assert services.sessions_sweep_stale() == 1
    assert events_named(published, "user-offline") == []


@pytest.mark.django_db
def test_sweep_task_runs_the_sweep() -> None:
    from realtime.tasks import sweep_stale_sessions

    assert sweep_stale_sessions.delay().get() == 0
