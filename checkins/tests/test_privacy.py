"""The score-hiding rule: the SQL form and the Python form agree, on PostgreSQL and (make test-embedded) SQLite."""

import datetime
import itertools
from typing import Any

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.privacy import scores_hidden, scores_visible_q
from checkins.selectors import checkin_for_viewer, checkins_visible_to, visible_score
from checkins.tests.factories import CheckInFactory
from groups.models import Group, MembershipStatus
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

PRIVACY_BLOBS: list[dict[str, Any]] = [
    {"profile": "friends", "scores": "group"},
    {"profile": "friends", "scores": "private"},
    {"profile": "friends"},  # no scores key at all
    {},
    {"scores": None},
    {"scores": "PRIVATE"},  # only the exact value hides
    {"scores": "private", "extra": {"nested": True}},
]


def test_sql_rule_matches_python_rule_for_every_combination():
    viewer = UserFactory.create()
    group = GroupFactory.create()
    expected: dict = {}
    for index, (blob, is_private, own) in enumerate(itertools.product(PRIVACY_BLOBS, [False, True], [False, True])):
        owner = viewer if own else UserFactory.create()
        if not own:
            User.objects.filter(pk=owner.pk).update(privacy_settings=blob)
        week = datetime.date(2020, 1, 6) + datetime.timedelta(weeks=index)
        check_in = CheckInFactory.create(user=owner, group=group, is_private=is_private, week_start_date=week)
        expected[check_in.pk] = not scores_hidden(
            owner_id=owner.pk, viewer_id=viewer.pk, is_private=is_private, owner_privacy=None if own else blob
        )
    visible = set(CheckIn.objects.filter(scores_visible_q(viewer.pk)).values_list("pk", flat=True))
    assert visible == {pk for pk, shown in expected.items() if shown}
    # Rows whose owner's blob lacks the key are visible (the NULL trap of ~Q on a JSON key).
    missing_key_rows = CheckIn.objects.filter(user__privacy_settings={"profile": "friends"}, is_private=False)
    assert missing_key_rows.exists()
    assert set(missing_key_rows.values_list("pk", flat=True)) <= visible


def test_prefix_form_works_through_a_relation():
    viewer, owner = UserFactory.create(), UserFactory.create(privacy_settings={"profile": "friends"})
    group = GroupFactory.create()
    CheckInFactory.create(user=owner, group=group)
    assert Group.objects.filter(scores_visible_q(viewer.pk, prefix="check_ins__"), pk=group.pk).exists()


def test_visible_to_selector_covers_own_and_active_groups_only():
    viewer = UserFactory.create()
    mine = MembershipFactory.create(user=viewer).group
    left = MembershipFactory.create(user=viewer, status=MembershipStatus.INACTIVE).group
    hider = UserFactory.create(privacy_settings={"scores": "private"})
    own = CheckInFactory.create(user=viewer, group=GroupFactory.create())
    shown = CheckInFactory.create(group=mine)
    hidden = CheckInFactory.create(group=mine, user=hider)
    CheckInFactory.create(group=left)
    rows = dict(checkins_visible_to(viewer=viewer).values_list("pk", "scores_visible"))  # type: ignore[misc]
    assert rows == {own.pk: True, shown.pk: True, hidden.pk: False}
    assert set(checkins_visible_to(viewer=viewer, group_id=mine.pk).values_list("pk", flat=True)) == {
        shown.pk,
        hidden.pk,
    }


def test_payload_for_live_event_hides_score_per_viewer():
    owner = UserFactory.create()
    check_in = CheckInFactory.create(user=owner, is_private=True)
    assert visible_score(check_in, viewer_id=owner.pk) == check_in.hu_cares_score
    assert visible_score(check_in, viewer_id=UserFactory.create().pk) is None
    payload = checkin_for_viewer(check_in, viewer_id=None)
    assert payload["energy_level"] is None
    assert payload["user_id"] == str(owner.pk)
