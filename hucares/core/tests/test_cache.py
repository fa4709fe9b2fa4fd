"""The versioned cache: a bump makes every entry of its scopes stale, even one stored by a read that raced
the write; an evicted token only costs a miss; a cache outage reads the source."""

import uuid

import pytest
from django.core.cache import cache as django_cache
from django.db import transaction

from hucares.core import cache

pytestmark = pytest.mark.django_db

SCOPE = cache.scope("group", "g1")
OTHER = cache.scope("user", "u1")


@pytest.fixture
def key() -> str:
    return f"probe:{uuid.uuid4().hex}"


def test_a_stored_value_is_served_until_its_scope_is_bumped(key) -> None:
    cache.set_many({key: [1]}, cache.get_many([key], [SCOPE])[1], 60)
    assert cache.get_many([key], [SCOPE])[0] == {key: [1]}

    cache.bump(SCOPE)

    assert cache.get_many([key], [SCOPE])[0] == {}


def test_a_bump_of_any_scope_of_an_entry_makes_it_stale(key) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.cached(key, [SCOPE, OTHER], compute, timeout=60) == 1
    assert cache.cached(key, [OTHER, SCOPE], compute, timeout=60) == 1  # order does not matter

    cache.bump(OTHER)

    assert cache.cached(key, [SCOPE, OTHER], compute, timeout=60) == 2


def test_values_read_before_a_write_and_stored_after_it_are_never_served(key) -> None:
    _, seen = cache.get_many([key], [SCOPE])  # the read starts
    cache.bump(SCOPE)  # a write lands meanwhile
    cache.set_many({key: "old"}, seen, 60)  # the read stores what it read before

    assert cache.get_many([key], [SCOPE])[0] == {}


@pytest.mark.django_db(transaction=True)
def test_a_bump_is_repeated_after_commit_so_a_read_inside_the_transaction_cannot_survive_it(key) -> None:
    with transaction.atomic():
        cache.bump(SCOPE)
        # Another reader sees the new token before the write commits and stores what it read.
        _, seen = cache.get_many([key], [SCOPE])
        cache.set_many({key: "read before commit"}, seen, 60)
        assert cache.get_many([key], [SCOPE])[0] == {key: "read before commit"}

    assert cache.get_many([key], [SCOPE])[0] == {}


def test_an_evicted_token_is_made_again_by_the_next_read(key) -> None:
    cache.set_many({key: "v"}, cache.get_many([key], [SCOPE])[1], 60)
    django_cache.delete(SCOPE)

    found, versions = cache.get_many([key], [SCOPE])
    assert found == {}
    cache.set_many({key: "w"}, versions, 60)

    assert cache.get_many([key], [SCOPE])[0] == {key: "w"}


def test_without_a_token_values_are_dropped_when_a_write_made_one_meanwhile(key, monkeypatch) -> None:
    django_cache.delete(SCOPE)
    real_add = django_cache.add

    def write_first(name, value, timeout=None):  # a writer creates the token between the read's get and add
        cache.bump(SCOPE)
        return real_add(name, value, timeout)

    monkeypatch.setattr(django_cache, "add", write_first)
    _, versions = cache.get_many([key], [SCOPE])
    monkeypatch.undo()
    assert versions.digest is None
    cache.set_many({key: "v"}, versions, 60)

    assert cache.get_many([key], [SCOPE])[0] == {}


def test_none_is_computed_every_time_and_never_stored(key) -> None:
    calls = []
    assert cache.cached(key, [SCOPE], lambda: calls.append(1), timeout=60) is None
    assert cache.cached(key, [SCOPE], lambda: calls.append(1), timeout=60) is None
    assert len(calls) == 2


def test_a_cache_outage_computes_and_never_raises(key, settings, caplog) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    assert cache.cached(key, [SCOPE], lambda: "from the source", timeout=60) == "from the source"
    cache.bump(SCOPE)
    assert "cache unavailable: ConnectionError" in caplog.text
