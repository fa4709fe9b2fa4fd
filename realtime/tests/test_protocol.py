"""The socket's protocol steps (realtime.protocol) as plain functions, without a socket."""

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from realtime import protocol
from realtime.protocol import CLOSE_FLOODING, CLOSE_TOO_BIG, FLOOD_LIMIT, FrameBudget, FrameError
from streams.selectors import StreamPage


def test_a_frame_is_admitted_refused_with_an_error_frame_or_closes_the_socket() -> None:
    budget = FrameBudget(rate=0, burst=1)
    assert protocol.admit(budget, "x" * (protocol.MAX_FRAME_BYTES + 1), None) == CLOSE_TOO_BIG
    assert protocol.admit(budget, None, b"x" * (protocol.MAX_FRAME_BYTES + 1)) == CLOSE_TOO_BIG
    assert protocol.admit(budget, "{}", None) is None
    refused = protocol.admit(budget, "{}", None)
    assert isinstance(refused, dict)
    assert refused["data"]["code"] == "RATE_LIMITED"
    verdicts = [protocol.admit(budget, "{}", None) for _ in range(FLOOD_LIMIT - 1)]
    assert verdicts[-2] != CLOSE_FLOODING
    assert verdicts[-1] == CLOSE_FLOODING


def test_each_failure_becomes_its_error_frame_and_only_the_servers_are_logged(caplog) -> None:
    log = logging.getLogger("realtime.tests.protocol")
    caplog.set_level(logging.WARNING, logger=log.name)
    client_fault = protocol.failure_frame(FrameError("NOT_JOINED", "Join first."), name="user-typing", ref=1, log=log)
    assert client_fault["data"] == {"ref": 1, "code": "NOT_JOINED", "message": "Join first."}
    assert caplog.records == []
    redis_down = protocol.failure_frame(RedisConnectionError("refused"), name="heartbeat", ref="a", log=log)
    assert redis_down["data"]["code"] == "SERVICE_UNAVAILABLE"
    broken = protocol.failure_frame(RuntimeError("boom"), name="join-group", ref=None, log=log)
    assert broken["data"] == {"ref": None, "code": "INTERNAL_ERROR", "message": "Something went wrong."}
    assert [(record.levelname, record.exc_info is not None) for record in caplog.records] == [
        ("WARNING", False),
        ("ERROR", True),
    ]


@pytest.mark.parametrize("data", [{}, {"token": ""}, {"token": 5}])
def test_a_token_must_be_a_non_empty_string(data: dict[str, Any]) -> None:
    with pytest.raises(FrameError) as raised:
        protocol.token_of(data)
    assert raised.value.code == "VALIDATION_ERROR"


def test_a_new_token_must_be_valid_and_of_the_same_user() -> None:
    claims = {"sid": "s", "exp": 1}
    assert protocol.claims_for((SimpleNamespace(pk="u1"), claims), "u1") == claims
    for checked, code in [(None, "TOKEN_INVALID"), ((SimpleNamespace(pk="u2"), claims), "PERMISSION_DENIED")]:
        with pytest.raises(FrameError) as raised:
            protocol.claims_for(checked, "u1")
        assert raised.value.code == code


def test_typing_needs_a_group_uuid_and_a_boolean() -> None:
    group = "5d1f0c1e-8a47-4a53-9c55-0c6a2b1e9f10"
    assert protocol.typing_of({"groupId": group.upper(), "isTyping": False}) == (group, False)
    for data in ({"groupId": "nope", "isTyping": True}, {"groupId": group, "isTyping": "yes"}):
        with pytest.raises(FrameError):
            protocol.typing_of(data)


def test_the_cursor_never_moves_back_except_to_restart_after_a_resync() -> None:
    assert protocol.cursor_after(7, StreamPage(events=[], cursor=5, resync=False)) == 7
    assert protocol.cursor_after(7, StreamPage(events=[], cursor=9, resync=False)) == 9
    assert protocol.cursor_after(7, StreamPage(events=[], cursor=3, resync=True)) == 3


def test_an_ephemeral_frame_is_forwarded_unless_for_a_left_room_or_the_sender() -> None:
    event = {"event": "user-typing"}
    assert protocol.forwards({"event": event}, set(), "u1")
    assert protocol.forwards({"event": event, "room": "r"}, {"r"}, "u1")
    assert not protocol.forwards({"event": event, "room": "r"}, set(), "u1")
    assert not protocol.forwards({"event": event, "exclude_user": "u1"}, set(), "u1")


def test_the_socket_speaks_its_subprotocol_only_when_offered() -> None:
    assert protocol.subprotocol({"subprotocols": ["hucares.v1"]}) == "hucares.v1"
    assert protocol.subprotocol({}) is None
