"""The period cache's version tokens: a write makes every cached period of the group stale, even one
stored by a read that raced it; an evicted token only costs a miss."""

import datetime

import pytest
from django.core.cache import cache as django_cache

from checkins import cache
from checkins.selectors import group_period_rows
from checkins.tests.factories import CheckInFactory
from groups.tests.factories import GroupFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 3, 2)
ROWS = [{"shown": {"id": "x"}, "user_id": "u", "is_private": False, "owner_privacy": {}}]


def evict_token(group_id) -> None:
    django_cache.delete(f"checkins:group:{group_id}:version")


@pytest.fixture
def group_id():
    return GroupFactory.create().pk


def test_rows_are_served_until_a_write_replaces_the_token(group_id) -> None:
    cache.invalidate_group_checkins(group_id)
    version = cache.get_period_rows(group_id, START).version
    cache.set_period_rows(group_id, START, version, ROWS)
    assert cache.get_period_rows(group_id, START) == cache.CachedPeriod(ROWS, version)

    cache.invalidate_group_checkins(group_id)

    after = cache.get_period_rows(group_id, START)
    assert after.rows is None
    assert after.version not in (None, version)


def test_rows_read_before_a_write_and_stored_after_it_are_never_served(group_id) -> None:
    cache.invalidate_group_checkins(group_id)
    seen = cache.get_period_rows(group_id, START).version  # the read starts
    cache.invalidate_group_checkins(group_id)  # a write lands meanwhile
    cache.set_period_rows(group_id, START, seen, ROWS)  # the read stores what it read before

    assert cache.get_period_rows(group_id, START).rows is None


def test_an_evicted_token_is_made_again_by_the_next_read(group_id) -> None:
    evict_token(group_id)
    missing = cache.get_period_rows(group_id, START)
    assert missing == cache.CachedPeriod(None, None)

    cache.set_period_rows(group_id, START, missing.version, ROWS)

    assert cache.get_period_rows(group_id, START).rows == ROWS


def test_without_a_token_rows_are_dropped_when_a_write_made_one_meanwhile(group_id) -> None:
    evict_token(group_id)
    seen = cache.get_period_rows(group_id, START).version
    cache.invalidate_group_checkins(group_id)

    cache.set_period_rows(group_id, START, seen, ROWS)

    assert cache.get_period_rows(group_id, START).rows is None


def test_each_period_has_its_own_entry(group_id) -> None:
    other = START + datetime.timedelta(days=7)
    CheckInFactory.create(group_id=group_id, week_start_date=START)

    assert len(group_period_rows(group_id=group_id, start=START)) == 1
    assert group_period_rows(group_id=group_id, start=other) == []
    assert len(cache.get_period_rows(group_id, START).rows or []) == 1
    assert cache.get_period_rows(group_id, other).rows == []


def test_a_cache_outage_reads_the_database(group_id, settings) -> None:
    CheckInFactory.create(group_id=group_id, week_start_date=START)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    assert cache.get_period_rows(group_id, START) == cache.CachedPeriod(None, None)
    assert len(group_period_rows(group_id=group_id, start=START)) == 1
