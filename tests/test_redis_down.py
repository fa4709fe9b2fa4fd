"""With Redis unreachable, HTTP requests degrade instead of failing: no cache,
open rate limits, no presence, live events left in the stream for later.

Redis is "down" here by pointing the cache, the channel layer and presence
at a closed port, which refuses connections as a stopped server does. The
requests are force-authenticated: the session check's own fallback is tested
with the accounts app. ``scripts/drill_redis_down.sh`` stops a real Redis
under a running stack."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.layers import channel_layers
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import email_verification_request
from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}


@pytest.fixture
def redis_down(settings) -> Iterator[None]:
    settings.REDIS_URL = CLOSED_PORT_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CLOSED_PORT_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    layer = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [CLOSED_PORT_URL]}}
    settings.CHANNEL_LAYERS = {"default": layer, "broadcast": layer}
    settings.RATELIMIT_ENABLE = True
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_rate_limited_reads_pass_while_the_cache_is_down(
    redis_down: None, client_for: Callable[[User], APIClient]
) -> None:
    membership = MembershipFactory.create()
    client = client_for(membership.user)
    for path in ("/api/v1/groups", f"/api/v1/groups/{membership.group_id}", "/api/v1/checkins/current"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)


def test_members_list_answers_everyone_offline_while_presence_is_down(
    redis_down: None, client_for: Callable[[User], APIClient]
) -> None:
    membership = MembershipFactory.create()
    MembershipFactory.create(group=membership.group)
    response = client_for(membership.user).get(f"/api/v1/groups/{membership.group_id}/members")
    assert response.status_code == 200, response.content
    members = response.json()["data"]
    assert len(members) == 2
    assert not any(member["isOnline"] for member in members)


def test_check_in_is_stored_while_the_channel_layer_is_down(
    redis_down: None, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks
) -> None:
    group = GroupFactory.create()
    me = MembershipFactory.create(group=group).user
    MembershipFactory.create(group=group)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(me).post("/api/v1/checkins", {"groupId": str(group.pk), **SCORES}, format="json")
    assert response.status_code == 201, response.content
    assert CheckIn.objects.filter(user=me, group=group).count() == 1


def test_registration_is_stored_while_the_cache_is_down(redis_down: None) -> None:
    body = {"username": "offline_joe", "email": "joe@example.org", "password": "Correct-horse-9!"}
    response = APIClient().post("/api/v1/auth/register", body, format="json")
    assert response.status_code == 201, response.content
    assert User.objects.filter(username="offline_joe").exists()


def test_verification_email_goes_out_while_the_cooldown_cannot_be_read(
    redis_down: None, django_capture_on_commit_callbacks, mailoutbox: list[Any]
) -> None:
    user = UserFactory.create(email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        email_verification_request(user=user)  # the cooldown is a rate limit: it fails open
    assert [message.to for message in mailoutbox] == [[user.email]]
