"""The per-user event stream: cursors, the window, and readers that never skip an event."""

import datetime
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from streams import events
from streams.models import StreamCounter, StreamEvent
from streams.selectors import stream_latest, stream_read, stream_read_many, stream_resume
from streams.services import (
    _append_in_one_statement,
    _append_with_the_orm,
    stream_append,
    stream_deliver,
    streams_trim,
)
from streams.tasks import trim_event_streams


def frame(n: int) -> events.Frame:
    return events.profile_updated(changed=[f"field{n}"])


def numbers(page) -> list[int]:
    return [int(item["cursor"]) for item in page.events]


@pytest.mark.django_db
def test_cursors_are_consecutive_per_user_and_in_the_order_given():
    alice, bob = UserFactory.create_batch(2)
    with transaction.atomic():
        sent = stream_append(deliveries=[(alice.pk, frame(1)), (bob.pk, frame(2)), (alice.pk, frame(3))])
    assert [(user, item["cursor"]) for user, item in sent] == [(alice.pk, "1"), (bob.pk, "1"), (alice.pk, "2")]
    with transaction.atomic():
        stream_append(deliveries=[(alice.pk, frame(4))])
    page = stream_read(user_id=alice.pk, since=0)
    assert numbers(page) == [1, 2, 3]
    assert [item["data"] for item in page.events] == [frame(n)["data"] for n in (1, 3, 4)]
    assert page.cursor == 3 == stream_latest(user_id=alice.pk)
    assert stream_read(user_id=alice.pk, since=3) == stream_resume(user_id=alice.pk, since=None)
    assert stream_resume(user_id=alice.pk, since=None).cursor == 3


@pytest.mark.django_db
def test_events_roll_back_with_the_write_that_caused_them(published, django_capture_on_commit_callbacks):
    user = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                stream_deliver(deliveries=[(user.pk, frame(1))])
                raise RuntimeError("the domain write failed")
        except RuntimeError:
            pass
    assert stream_latest(user_id=user.pk) == 0
    assert published == []
    with django_capture_on_commit_callbacks(execute=True):
        stream_deliver(deliveries=[(user.pk, frame(1))])
    assert [(target, message["cursor"]) for target, message in published] == [(f"user.{user.pk}", 1)]


@pytest.mark.django_db
def test_a_cursor_outside_the_window_needs_a_resync(settings):
    settings.EVENT_STREAM_MAX_EVENTS = 3
    user = UserFactory.create()
    with transaction.atomic():
        stream_append(deliveries=[(user.pk, frame(n)) for n in range(5)])
    assert numbers(stream_read(user_id=user.pk, since=2)) == [3, 4, 5]
    too_old = stream_read(user_id=user.pk, since=1)
    assert (too_old.resync, too_old.cursor, too_old.events) == (True, 5, [])
    assert stream_read(user_id=user.pk, since=6).resync  # a cursor this stream never gave
    assert stream_read(user_id=uuid.uuid4(), since=0) == stream_resume(user_id=uuid.uuid4(), since=None)


@pytest.mark.django_db
def test_trimming_keeps_the_window_and_what_was_trimmed_needs_a_resync(settings):
    settings.EVENT_STREAM_MAX_EVENTS = 3
    old_user, user = UserFactory.create_batch(2)
    with transaction.atomic():
        stream_append(deliveries=[(user.pk, frame(n)) for n in range(5)] + [(old_user.pk, frame(0))] * 2)
    StreamEvent.objects.filter(user_id=old_user.pk, cursor=1).update(
        created_at=timezone.now() - datetime.timedelta(days=settings.EVENT_STREAM_DAYS, seconds=1)
    )
    assert trim_event_streams.delay().get() == 3
    assert list(StreamEvent.objects.filter(user_id=user.pk).values_list("cursor", flat=True).order_by("cursor")) == [
        3,
        4,
        5,
    ]
    assert stream_read(user_id=old_user.pk, since=0).resync
    assert numbers(stream_read(user_id=old_user.pk, since=1)) == [2]
    assert streams_trim() == 0


@pytest.mark.django_db
def test_a_deleted_users_stream_goes_with_them(django_capture_on_commit_callbacks):
    user = UserFactory.create()
    with transaction.atomic():
        stream_append(deliveries=[(user.pk, frame(1))])
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert not StreamEvent.objects.exists()
    assert not StreamCounter.objects.exists()


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.services_only  # concurrent PostgreSQL transactions (SQLite runs one writer at a time)
@pytest.mark.django_db(transaction=True)
def test_a_reader_never_skips_an_event_committed_after_a_later_one_was_given():
    """A global sequence would let the second writer commit cursor 2 while 1 is still open:
    a reader would see 2, move on and never see 1. The counter row makes the second wait."""
    user = UserFactory.create()
    first_appended, release_first = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                stream_append(deliveries=[(user.pk, frame(1))])
                first_appended.set()
                release_first.wait(timeout=30)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_appended.wait(timeout=30)
            with transaction.atomic():
                stream_append(deliveries=[(user.pk, frame(2))])
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        assert first_appended.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _lock_waiters() == 0:  # the second writer is queued on the counter row
            assert time.monotonic() < deadline, "the second append did not wait for the first"
            time.sleep(0.01)
        assert stream_read(user_id=user.pk, since=0).events == []
    finally:
        release_first.set()
        for thread in threads:
            thread.join()
    page = stream_read(user_id=user.pk, since=0)
    assert numbers(page) == [1, 2]
    assert [item["data"] for item in page.events] == [frame(1)["data"], frame(2)["data"]]


@pytest.mark.django_db(transaction=True)
def test_concurrent_fan_outs_to_overlapping_users_give_each_user_every_cursor_once():
    users = UserFactory.create_batch(4)
    barrier = threading.Barrier(6)

    def fan_out(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(5):
                audience = users[index % 2 :] if index % 3 else list(reversed(users))
                stream_deliver(deliveries=[(user.pk, frame(index)) for user in audience])
        finally:
            connection.close()

    threads = [threading.Thread(target=fan_out, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for user in users:
        latest = stream_latest(user_id=user.pk)
        assert numbers(stream_read(user_id=user.pk, since=0)) == list(range(1, latest + 1))
        assert latest == StreamEvent.objects.filter(user_id=user.pk).count() > 0


@pytest.mark.services_only  # compares with PostgreSQL's one-statement append
@pytest.mark.django_db
def test_the_orm_append_of_other_databases_gives_the_same_cursors_and_rows():
    alice, bob = UserFactory.create_batch(2)
    deliveries = [(alice.pk, frame(1)), (bob.pk, frame(2)), (alice.pk, frame(3))]
    now = timezone.now()
    with transaction.atomic():
        one_statement = _append_in_one_statement(deliveries, now)
        orm = _append_with_the_orm(deliveries, now)
    assert one_statement == [1, 1, 2]
    assert orm == [3, 2, 4]
    page = stream_read(user_id=alice.pk, since=0)
    assert numbers(page) == [1, 2, 3, 4]
    assert [item["data"] for item in page.events] == [frame(n)["data"] for n in (1, 3, 1, 3)]


@pytest.mark.django_db
def test_many_readers_are_read_in_two_queries_each_after_its_own_cursor(django_assert_num_queries, settings):
    settings.EVENT_STREAM_MAX_EVENTS = 3
    alice, bob, carol, dave = UserFactory.create_batch(4)
    with transaction.atomic():
        stream_append(deliveries=[(alice.pk, frame(n)) for n in range(1, 4)] + [(bob.pk, frame(9))])
    with transaction.atomic():
        stream_append(deliveries=[(carol.pk, frame(n)) for n in range(1, 6)])
    a, b, c, d = (str(user.pk) for user in (alice, bob, carol, dave))
    reads = [(a, 0), (a, 2), (a, 3), (b, 0), (c, 1), (c, 4), (d, 0), (a, 7)]
    with django_assert_num_queries(2):
        pages = stream_read_many(reads=reads)
    assert {key: (numbers(page), page.cursor, page.resync) for key, page in pages.items()} == {
        (a, 0): ([1, 2, 3], 3, False),
        (a, 2): ([3], 3, False),
        (a, 3): ([], 3, False),
        (b, 0): ([1], 1, False),
        # Carol's window keeps her last three events: a reader behind it refetches.
        (c, 1): ([], 5, True),
        (c, 4): ([5], 5, False),
        (d, 0): ([], 0, False),
        # A cursor ahead of the stream (another database, say) refetches too.
        (a, 7): ([], 3, True),
    }
    for (user, since), page in pages.items():
        assert page == stream_read(user_id=user, since=since)
