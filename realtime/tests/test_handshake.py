"""How a socket opens: the token in a subprotocol, in the query or in a frame; browsers and native apps."""

import pytest
from channels.db import database_sync_to_async

from accounts.tests.factories import UserFactory
from realtime.middleware import token_from_subprotocols
from realtime.protocol import CLOSE_UNAUTHENTICATED

from .helpers import ORIGIN, Communicator, access_token, communicator, connect
from .test_consumer import assert_closed

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory.create)
make_token = database_sync_to_async(access_token)


def subprotocol_socket(token: str, *, headers: list[tuple[bytes, bytes]] | None = None) -> Communicator:
    from hucares.asgi import application

    offered = ["hucares.v1", f"hucares.auth.{token}"]
    return Communicator(application, "/ws/", headers=[ORIGIN] if headers is None else headers, subprotocols=offered)


async def test_the_token_in_a_subprotocol_opens_the_socket_which_answers_hucares_v1() -> None:
    user = await create_user()
    socket = subprotocol_socket(await make_token(user))
    accepted, subprotocol = await socket.connect()
    assert accepted
    assert subprotocol == "hucares.v1"
    frame = await socket.receive_json_from(timeout=5)
    assert frame["event"] == "connected"
    assert frame["data"]["userId"] == str(user.pk)
    await socket.disconnect()


async def test_a_bad_token_in_a_subprotocol_closes_4401() -> None:
    user = await create_user()
    socket = subprotocol_socket(await make_token(user) + "x")
    accepted, subprotocol = await socket.connect()
    assert accepted
    assert subprotocol == "hucares.v1"
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_hucares_v1_alone_then_authenticate_frame() -> None:
    from hucares.asgi import application

    user = await create_user()
    socket = Communicator(application, "/ws/", headers=[ORIGIN], subprotocols=["hucares.v1"])
    accepted, subprotocol = await socket.connect()
    assert (accepted, subprotocol) == (True, "hucares.v1")
    await socket.send_json_to({"event": "authenticate", "data": {"token": await make_token(user)}})
    assert (await socket.receive_json_from(timeout=5))["event"] == "connected"
    await socket.disconnect()


async def test_a_query_token_without_subprotocols_still_connects_with_none_chosen() -> None:
    user = await create_user()
    socket = communicator(f"/ws/?token={await make_token(user)}")
    accepted, subprotocol = await socket.connect()
    assert (accepted, subprotocol) == (True, None)
    assert (await socket.receive_json_from(timeout=5))["event"] == "connected"
    await socket.disconnect()


async def test_a_native_app_without_origin_connects_with_its_token() -> None:
    user = await create_user()
    socket, frame = await connect(user, headers=[])
    assert frame["data"]["userId"] == str(user.pk)
    await socket.disconnect()
    native = subprotocol_socket(await make_token(user), headers=[(b"user-agent", b"okhttp/4.12.0")])
    accepted, subprotocol = await native.connect()
    assert (accepted, subprotocol) == (True, "hucares.v1")
    assert (await native.receive_json_from(timeout=5))["event"] == "connected"
    await native.disconnect()


async def test_a_native_app_without_origin_still_needs_a_token() -> None:
    socket = communicator("/ws/", headers=[])
    accepted, _ = await socket.connect()
    assert accepted
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)
    bad = communicator("/ws/?token=not-a-jwt", headers=[])
    assert (await bad.connect())[0]
    await assert_closed(bad, CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("origin", [b"https://evil.example", b"null"])
async def test_a_browser_origin_outside_allowed_hosts_is_refused_with_any_token_form(origin: bytes) -> None:
    user = await create_user()
    token = await make_token(user)
    for socket in (
        subprotocol_socket(token, headers=[(b"origin", origin)]),
        communicator(f"/ws/?token={token}", headers=[(b"origin", origin)]),
    ):
        accepted, _ = await socket.connect()
        assert not accepted


def test_only_a_non_empty_auth_subprotocol_carries_a_token() -> None:
    assert token_from_subprotocols({"subprotocols": ["hucares.v1", "hucares.auth."]}) is None
    assert token_from_subprotocols({"subprotocols": ["hucares.auth.abc", "hucares.auth.def"]}) == "abc"
    assert token_from_subprotocols({}) is None
