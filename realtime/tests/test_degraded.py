"""A socket while Redis is unreachable: its frames get SERVICE_UNAVAILABLE, never INTERNAL_ERROR,
and a handshake gets the same reason and a close to retry later, never an HTTP 500."""

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers

from groups.tests.factories import MembershipFactory
from hucares.asgi import application
from realtime import departures
from realtime.errors import UNAVAILABLE_MESSAGE
from realtime.middleware import CLOSE_SERVICE_UNAVAILABLE, SUBPROTOCOL
from realtime.models import UserSession

from .conftest import OwnRedis
from .helpers import ORIGIN, Communicator, access_token, connect, send

pytestmark = pytest.mark.django_db(transaction=True)

create_membership = database_sync_to_async(MembershipFactory.create)


@pytest.fixture
def redis_of_this_test(own_redis: OwnRedis, settings) -> Iterator[OwnRedis]:
    """Cache, presence and channel layer all on this test's own Redis."""
    settings.REDIS_URL = own_redis.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": own_redis.url}}
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": own_redis.url, "socket_timeout": None}], "prefix": "degraded"},
        }
    }
    channel_layers.backends.clear()
    yield own_redis
    channel_layers.backends.clear()


def unavailable(ref: str | None) -> dict:
    data = {"ref": ref, "code": "SERVICE_UNAVAILABLE", "message": UNAVAILABLE_MESSAGE}
    return {"event": "error", "data": data, **({"ref": ref} if ref is not None else {})}


async def test_frames_get_service_unavailable_while_redis_is_down(redis_of_this_test: OwnRedis) -> None:
    membership = await create_membership()
    socket, _ = await connect(membership.user)
    await send(socket, "heartbeat", ref="before")
    assert (await socket.receive_json_from(timeout=5))["event"] == "heartbeat-ack"
    redis_of_this_test.stop()
    await send(socket, "heartbeat", ref="h1")
    assert await socket.receive_json_from(timeout=5) == unavailable("h1")
    await send(socket, "join-group", {"groupId": str(membership.group_id)}, ref="j1")
    assert await socket.receive_json_from(timeout=5) == unavailable("j1")
    # The socket stays open and serves what needs no Redis.
    await socket.send_to(text_data="{broken")
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "MALFORMED_FRAME"
    await socket.disconnect()
    await departures.settled()
    # Its row goes even so; presence lapses by itself.
    assert not await UserSession.objects.filter(user_id=membership.user_id).aexists()


async def test_a_handshake_while_redis_is_down_gets_the_reason_and_a_close_to_retry_later(
    redis_of_this_test: OwnRedis,
) -> None:
    membership = await create_membership()
    token = await database_sync_to_async(access_token)(membership.user)
    redis_of_this_test.stop()
    socket = Communicator(application, "/ws/", headers=[ORIGIN], subprotocols=[SUBPROTOCOL, f"hucares.auth.{token}"])
    accepted, subprotocol = await socket.connect(timeout=10)
    assert accepted
    assert subprotocol == SUBPROTOCOL
    assert await socket.receive_json_from(timeout=10) == unavailable(None)
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_SERVICE_UNAVAILABLE}
    assert not await UserSession.objects.filter(user_id=membership.user_id).aexists()
