import datetime
from typing import Any

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from checkins import signals
from checkins.errors import CheckInPeriodClosed, DuplicateCheckIn
from checkins.models import CheckIn
from checkins.services import checkin_delete, checkin_submit, checkin_update, checkins_delete_for_user
from groups.models import Group, MembershipStatus
from groups.tests.factories import GroupFactory, MembershipFactory
from groups.tests.helpers import recording, run_then_roll_back
from hucares.core.errors import NotFound

pytestmark = pytest.mark.django_db

SCORES: dict[str, Any] = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}
# A Wednesday: the weekly period starts Monday 2026-03-02.
NOW = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def member():
    return MembershipFactory.create(group=GroupFactory.create(member_count=1))


@time_machine.travel(NOW, tick=False)
def test_submit_stores_the_database_computed_score_and_announces_it(member, django_capture_on_commit_callbacks):
    with recording(signals.checkin_submitted) as (submitted,), django_capture_on_commit_callbacks(execute=True):
        check_in = checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    assert check_in.hu_cares_score == 12
    assert check_in.week_start_date == datetime.date(2026, 3, 2)
    assert Group.objects.get(pk=member.group_id).total_check_ins == 1
    assert submitted == [{"check_in": check_in}]
    assert submitted[0]["check_in"].user == member.user


@time_machine.travel(NOW, tick=False)
def test_second_checkin_same_period_is_rejected(member):
    checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    with pytest.raises(DuplicateCheckIn):
        checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    assert Group.objects.get(pk=member.group_id).total_check_ins == 1


def test_submit_by_non_member_or_former_member_is_not_found(member):
    with pytest.raises(NotFound):
        checkin_submit(user=UserFactory.create(), group_id=member.group_id, **SCORES)
    member.status = MembershipStatus.INACTIVE
    member.save()
    with pytest.raises(NotFound):
        checkin_submit(user=member.user, group_id=member.group_id, **SCORES)


def test_submit_in_rolled_back_transaction_leaves_nothing(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_then_roll_back(lambda: checkin_submit(user=member.user, group_id=member.group_id, **SCORES))
    assert callbacks == []
    assert not CheckIn.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_update_recomputes_score_and_announces(member, django_capture_on_commit_callbacks):
    check_in = checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    with recording(signals.checkin_updated) as (updated,), django_capture_on_commit_callbacks(execute=True):
        changed = checkin_update(check_in=check_in, user=member.user, care=1)
    assert changed.hu_cares_score == 20
    assert updated == [{"check_in": changed}]


def test_update_after_period_is_closed(member):
    with time_machine.travel(NOW, tick=False):
        check_in = checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    with time_machine.travel(NOW + datetime.timedelta(days=7), tick=False), pytest.raises(CheckInPeriodClosed):
        checkin_update(check_in=check_in, user=member.user, care=1)


@time_machine.travel(NOW, tick=False)
def test_update_or_delete_of_someone_elses_checkin_is_not_found(member):
    check_in = checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    stranger = UserFactory.create()
    with pytest.raises(NotFound):
        checkin_update(check_in=check_in, user=stranger, care=1)
    with pytest.raises(NotFound):
        checkin_delete(check_in=check_in, user=stranger)


@time_machine.travel(NOW, tick=False)
def test_delete_announces_ids_and_keeps_count_exact(member, django_capture_on_commit_callbacks):
    check_in = checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    with recording(signals.checkin_deleted) as (deleted,), django_capture_on_commit_callbacks(execute=True):
        checkin_delete(check_in=check_in, user=member.user)
    assert deleted == [
        {
            "check_in_id": check_in.pk,
            "user_id": member.user_id,
            "group_id": member.group_id,
            "week_start_date": datetime.date(2026, 3, 2),
        }
    ]
    assert Group.objects.get(pk=member.group_id).total_check_ins == 0


@time_machine.travel(NOW, tick=False)
def test_update_and_delete_in_rolled_back_transaction_leave_nothing(member, django_capture_on_commit_callbacks):
    check_in = checkin_submit(user=member.user, group_id=member.group_id, **SCORES)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_then_roll_back(lambda: checkin_update(check_in=check_in, user=member.user, care=1))
        run_then_roll_back(lambda: checkin_delete(check_in=check_in, user=member.user))
    assert callbacks == []
    assert CheckIn.objects.get(pk=check_in.pk).care == 9


def test_unknown_update_fields_are_refused(member):
    check_in = CheckIn.objects.create(
        user=member.user, group=member.group, week_start_date=datetime.date(2026, 3, 2), **SCORES
    )
    with pytest.raises(TypeError):
        checkin_update(check_in=check_in, user=member.user, week_start_date=datetime.date(2020, 1, 6))


def test_deleting_all_checkins_of_a_user_keeps_group_totals_exact(member, client_for):
    other = MembershipFactory.create(group=member.group)
    for week in range(3):
        CheckIn.objects.create(
            user=member.user,
            group=member.group,
            week_start_date=datetime.date(2026, 3, 2) - datetime.timedelta(weeks=week),
            **SCORES,
        )
    CheckIn.objects.create(user=other.user, group=member.group, week_start_date=datetime.date(2026, 3, 2), **SCORES)
    Group.objects.filter(pk=member.group_id).update(total_check_ins=4)
    url = f"/api/v1/checkins/group/{member.group_id}?week=2026-03-02"
    with time_machine.travel(NOW, tick=False):
        assert len(client_for(other.user).get(url).json()["data"]) == 2
        assert checkins_delete_for_user(user=member.user) == 3
        assert len(client_for(other.user).get(url).json()["data"]) == 1
    assert Group.objects.get(pk=member.group_id).total_check_ins == 1
