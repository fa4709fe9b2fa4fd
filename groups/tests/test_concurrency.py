"""Races on real PostgreSQL with real threads: the database keeps the counts exact."""

import threading
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.services import checkin_submit, checkin_update
from groups.models import Group, GroupMembership, MembershipStatus
from groups.services import group_join, group_leave
from groups.tests.factories import GroupFactory, MembershipFactory
from hucares.core.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12
SCORES: dict[str, Any] = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}


def race(actions: list[Callable[[], object]]) -> Counter[str]:
    """Start every action at the same moment; count the outcome codes ("ok" or the error code)."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            action()
            outcome = "ok"
        except ApplicationError as exc:
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - an unexpected error is what the test looks for
            outcome = f"unexpected {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(outcomes)


def test_one_seat_left_and_many_joiners_admits_exactly_one():
    group = GroupFactory.create(max_members=3, member_count=2)
    MembershipFactory.create_batch(2, group=group)
    joiners = UserFactory.create_batch(THREADS)
    outcomes = race([partial(group_join, user=user, access_code=group.access_code) for user in joiners])
    assert outcomes == Counter({"ok": 1, "GROUP_FULL": THREADS - 1})
    group.refresh_from_db()
    assert group.member_count == 3
    assert GroupMembership.objects.filter(group=group, status=MembershipStatus.ACTIVE).count() == 3


def test_concurrent_duplicate_checkins_give_one_success_and_conflicts_only():
    membership = MembershipFactory.create(group=GroupFactory.create(member_count=1))
    outcomes = race(
        [lambda: checkin_submit(user=membership.user, group_id=membership.group_id, **SCORES) for _ in range(THREADS)]
    )
    assert outcomes == Counter({"ok": 1, "DUPLICATE_CHECKIN": THREADS - 1})
    assert CheckIn.objects.count() == 1
    assert Group.objects.get(pk=membership.group_id).total_check_ins == 1


def test_concurrent_checkins_of_many_members_count_exactly():
    group = GroupFactory.create(member_count=THREADS)
    members = MembershipFactory.create_batch(THREADS, group=group)
    outcomes = race([partial(checkin_submit, user=m.user, group_id=group.pk, **SCORES) for m in members])
    assert outcomes == Counter({"ok": THREADS})
    assert Group.objects.get(pk=group.pk).total_check_ins == THREADS


def test_concurrent_joins_and_leaves_keep_member_count_exact():
    group = GroupFactory.create(max_members=100, member_count=1)
    MembershipFactory.create(group=group)
    leavers = [MembershipFactory.create(group=group).user for _ in range(THREADS // 2)]
    Group.objects.filter(pk=group.pk).update(member_count=1 + len(leavers))
    joiners = UserFactory.create_batch(THREADS // 2)
    actions: list[Callable[[], object]] = [
        *(partial(group_join, user=u, access_code=group.access_code) for u in joiners),
        *(partial(group_leave, group=group, user=u) for u in leavers),
    ]
    outcomes = race(actions)
    assert outcomes == Counter({"ok": THREADS})
    group.refresh_from_db()
    assert group.member_count == GroupMembership.objects.filter(group=group, status=MembershipStatus.ACTIVE).count()
    assert group.member_count == 1 + THREADS // 2


@pytest.mark.services_only  # PostgreSQL's row locks (SQLite locks the whole database)
def test_editing_a_check_in_does_not_wait_for_a_write_to_its_group():
    """An edit locks its check-in's row only: it neither waits for nor deadlocks with the group's other writes."""
    group = GroupFactory.create(member_count=1)
    author = MembershipFactory.create(group=group).user
    own = checkin_submit(user=author, group_id=group.pk, **SCORES)
    holding, release = threading.Event(), threading.Event()

    def hold_the_group_row() -> None:
        try:
            with transaction.atomic():
                Group.objects.select_for_update().get(pk=group.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_group_row)
    holder.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            updated = checkin_update(check_in=own, user=author, care=2)
    finally:
        release.set()
        holder.join()
    assert updated.care == 2
