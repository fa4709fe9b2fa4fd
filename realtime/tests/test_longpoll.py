"""GET /api/v1/events: the same stream and cursors as the socket, for clients that poll."""

import asyncio
import json
import logging
import threading
import time
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.db import transaction
from django.http import HttpRequest
from django.test import Client

from accounts.tests.factories import UserFactory
from hucares.asgi import application
from realtime import presence
from streams import events
from streams.services import stream_append, stream_deliver

from .helpers import access_token

pytestmark = pytest.mark.django_db(transaction=True)


def frames(user, count: int, start: int = 0) -> list[dict[str, Any]]:
    with transaction.atomic():
        sent = stream_append(
            deliveries=[(user.pk, events.profile_updated(changed=[f"field{n}"])) for n in range(start, start + count)]
        )
    return [frame for _, frame in sent]


HOST = (b"host", b"localhost")


def poll(user, query: str = "") -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client.get(f"/api/v1/events{query}")


def test_without_since_the_answer_is_the_current_cursor_at_once():
    user = UserFactory.create()
    assert poll(user).json()["data"] == {"events": [], "cursor": "0"}
    frames(user, 3)
    response = poll(user, "?wait=25")
    assert response.status_code == 200
    assert response.json()["data"] == {"events": [], "cursor": "3"}


def test_since_gives_the_events_after_it_in_order_with_their_cursors():
    user = UserFactory.create()
    sent = frames(user, 4)
    body = poll(user, "?since=1&wait=0").json()
    assert body["success"] is True
    assert body["data"] == {"events": sent[1:], "cursor": "4"}
    assert poll(user, "?since=4").json()["data"] == {"events": [], "cursor": "4"}


def test_a_cursor_older_than_the_window_is_410_with_the_cursor_to_restart_from(settings):
    settings.EVENT_STREAM_MAX_EVENTS = 2
    user = UserFactory.create()
    frames(user, 5)
    response = poll(user, "?since=1")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "RESYNC_REQUIRED"
    assert response.json()["error"]["details"] == {"cursor": "5"}


@pytest.mark.parametrize(
    ("query", "field"), [("?since=abc", "since"), ("?since=-1", "since"), ("?wait=26", "wait"), ("?wait=x", "wait")]
)
def test_bad_parameters_are_validation_errors(query, field):
    response = poll(UserFactory.create(), query)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == field


def test_only_the_callers_own_stream_is_read():
    alice, bob = UserFactory.create_batch(2)
    frames(alice, 2)
    assert poll(bob, "?since=0").json()["data"] == {"events": [], "cursor": "0"}
    assert Client().get("/api/v1/events").status_code == 401


async def asgi_poll(app: Any, user, query: str, timeout: float = 10) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
    token = await database_sync_to_async(access_token)(user)
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"x-request-id", b"poll-1"), HOST]
    path, _, query_string = f"/api/v1/events{query}".partition("?")
    communicator = HttpCommunicator(app, "GET", path, headers=headers)
    communicator.scope["query_string"] = query_string.encode()
    response = await communicator.get_response(timeout=timeout)
    return response["status"], json.loads(response["body"]), {k.lower(): v for k, v in response["headers"]}


async def test_a_waiting_poll_is_woken_by_the_first_event_committed_for_the_user():
    app = application
    user = await database_sync_to_async(UserFactory.create)()
    started = time.monotonic()
    waiting = asyncio.ensure_future(asgi_poll(app, user, "?since=0&wait=20"))
    # The poll has subscribed once it has read the stream; an event now must wake it.
    await asyncio.sleep(0)
    while not waiting.done() and time.monotonic() - started < 0.5:
        await asyncio.sleep(0.05)
    assert not waiting.done()
    await database_sync_to_async(stream_deliver)(deliveries=[(user.pk, events.profile_updated(changed=["username"]))])
    status, body, headers = await waiting
    assert time.monotonic() - started < 15
    assert status == 200
    assert [frame["event"] for frame in body["data"]["events"]] == ["profile-updated"]
    assert body["data"]["cursor"] == "1"
    # Served inside the normal middleware: request id, security headers.
    assert headers[b"x-request-id"] == b"poll-1"
    assert headers[b"cache-control"] == b"no-store"
    assert b"content-security-policy" in headers


async def test_a_poll_with_nothing_new_answers_empty_when_the_wait_is_over():
    user = await database_sync_to_async(UserFactory.create)()
    started = time.monotonic()
    status, body, _ = await asgi_poll(application, user, "?since=0&wait=0.3")
    assert (status, body["data"]) == (200, {"events": [], "cursor": "0"})
    assert time.monotonic() - started >= 0.3


async def test_the_asgi_path_refuses_what_django_would():
    user = await database_sync_to_async(UserFactory.create)()
    communicator = HttpCommunicator(application, "GET", "/api/v1/events", headers=[HOST])
    response = await communicator.get_response(timeout=10)
    assert response["status"] == 401
    assert json.loads(response["body"])["error"]["code"] == "NOT_AUTHENTICATED"
    bad = HttpCommunicator(application, "GET", "/api/v1/events", headers=[(b"authorization", b"Bearer nope"), HOST])
    assert json.loads((await bad.get_response(timeout=10))["body"])["error"]["code"] == "TOKEN_INVALID"
    post = HttpCommunicator(application, "POST", "/api/v1/events", headers=[HOST])
    assert (await post.get_response(timeout=10))["status"] == 405
    status, body, _ = await asgi_poll(application, user, "?wait=99")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


@pytest.fixture
def layer_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1"}], "prefix": "down"},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def test_without_the_channel_layer_a_poll_still_finds_new_events(layer_down, settings):
    user = await database_sync_to_async(UserFactory.create)()
    waiting = asyncio.ensure_future(asgi_poll(application, user, "?since=0&wait=10"))
    await asyncio.sleep(0.2)
    await database_sync_to_async(frames)(user, 1)
    status, body, _ = await waiting
    assert status == 200
    assert body["data"]["cursor"] == "1"


async def test_at_most_five_concurrent_waits_per_user_the_rest_429_with_retry_after(settings):
    settings.RATELIMIT_ENABLE = False  # the concurrency bound alone
    user = await database_sync_to_async(UserFactory.create)()
    polls = [asyncio.ensure_future(asgi_poll(application, user, "?since=0&wait=3", timeout=20)) for _ in range(60)]
    answers = await asyncio.gather(*polls)
    accepted = [status for status, _, _ in answers if status == 200]
    refused = [(body, headers) for status, body, headers in answers if status == 429]
    assert len(accepted) == settings.EVENT_POLL_MAX_CONCURRENT == 5
    assert len(refused) == 55
    assert all(body["error"]["code"] == "RATE_LIMITED" for body, _ in refused)
    assert all(int(headers[b"retry-after"]) > 0 for _, headers in refused)
    # The waits are given back: the next one is served.
    status, _, _ = await asgi_poll(application, user, "?since=0&wait=0.1")
    assert status == 200


async def test_a_wait_is_let_through_when_redis_cannot_count(own_redis, settings):
    settings.RATELIMIT_ENABLE = False
    settings.REDIS_URL = own_redis.url
    own_redis.stop()
    user = await database_sync_to_async(UserFactory.create)()
    status, body, _ = await asgi_poll(application, user, "?since=0&wait=0.1")
    assert (status, body["data"]["cursor"]) == (200, "0")


def test_polls_are_counted_by_the_per_user_rate_limit(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_USER = "2/15m"
    user = UserFactory.create()
    assert [poll(user).status_code for _ in range(3)] == [200, 200, 429]
    assert poll(user)["Retry-After"]


# --- a wait holds no thread: the middleware chain runs on the event loop -------------------------------


def test_the_asgi_application_adapts_no_middleware(settings, caplog):
    # Django says in a DEBUG log which middleware it had to adapt; one sync-only middleware anywhere makes it run
    # the whole chain in a thread that stays blocked for as long as the view runs.
    settings.DEBUG = True
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()
    assert [record.getMessage() for record in caplog.records if "adapted for" in record.getMessage()] == []


chain_threads: list[int] = []


class ThreadProbe:
    """Outermost middleware of the test below: the thread each request enters the chain on."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        chain_threads.append(threading.get_ident())
        # Async: the coroutine of the inner chain, awaited by Django; sync: its response.
        return self.get_response(request)


async def test_waiting_polls_run_on_the_event_loop_and_a_wake_up_ends_each(settings):
    settings.RATELIMIT_ENABLE = False
    settings.MIDDLEWARE = ["realtime.tests.test_longpoll.ThreadProbe", *settings.MIDDLEWARE]
    chain_threads.clear()
    app = get_asgi_application()
    users = [await database_sync_to_async(UserFactory.create)() for _ in range(3)]
    polls = [asyncio.ensure_future(asgi_poll(app, user, "?since=0&wait=20", timeout=30)) for user in users]
    online = sync_to_async(presence.online_user_ids, thread_sensitive=False)
    while len(await online([user.pk for user in users])) < len(users):
        assert not any(poll.done() for poll in polls)
        await asyncio.sleep(0.02)
    # Every request, while it waits, runs on the event loop's thread, not in one of its own.
    assert chain_threads == [threading.get_ident()] * len(users)
    for index, user in enumerate(users):
        await database_sync_to_async(stream_deliver)(deliveries=[(user.pk, events.profile_updated(changed=["bio"]))])
        status, body, _ = await polls[index]
        assert (status, body["data"]["cursor"]) == (200, "1")
        assert not any(poll.done() for poll in polls[index + 1 :])
