"""Importing the same old data again adds nothing; after a rollback it imports again (property-tested)."""

import datetime
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from checkins.importer import localstorage_import, localstorage_import_rollback
from checkins.models import CheckIn
from groups.models import Group, GroupMembership, MembershipStatus

pytestmark = pytest.mark.django_db

PROFILE = "old-profile-1"
FIRST_MONDAY = datetime.date(2025, 1, 6)
# Old access codes: today's format (8 of the alphabet), too short, lower case, or none.
OLD_CODES = st.sampled_from(["6ZC4PZ", "abc", "", "HJKMNPQR", "hjkmnpqr", "ZZZZZZZZ"])


@st.composite
def exports(draw: Any) -> dict[str, Any]:
    """An old export: a few groups (ids may be reused across exports), check-ins in them or in none."""
    group_count = draw(st.integers(0, 3))
    groups = [
        {"id": f"g{index}", "name": f"Old group {index}", "accessCode": draw(OLD_CODES)} for index in range(group_count)
    ]
    group_ids = [group["id"] for group in groups] + ["default-group"]
    entry = st.fixed_dictionaries(
        {
            "id": st.one_of(st.none(), st.sampled_from([f"c{n}" for n in range(12)])),
            "groupId": st.sampled_from(group_ids),
            "week": st.integers(0, 8),
            "day": st.integers(0, 6),
            "scores": st.tuples(*[st.integers(1, 10)] * 4),
        }
    )
    check_ins = []
    for raw in draw(st.lists(entry, max_size=10)):
        day = FIRST_MONDAY + datetime.timedelta(weeks=raw["week"], days=raw["day"])
        productive, satisfied, body, care = raw["scores"]
        item = {"userId": PROFILE, "groupId": raw["groupId"], "weekStartDate": day.isoformat()}
        item |= {"productive": productive, "satisfied": satisfied, "body": body, "care": care}
        check_ins.append(item if raw["id"] is None else {"id": raw["id"], **item})
    return {"userProfile": {"id": PROFILE}, "groups": groups, "checkIns": check_ins}


def history(user: Any) -> tuple[Counter[tuple[Any, ...]], Counter[str]]:
    """The user's check-ins by group name and period with their scores, and the names of their groups."""
    check_ins = Counter(
        CheckIn.objects.filter(user=user).values_list(
            "group__name", "week_start_date", "productive", "satisfied", "body", "care"
        )
    )
    groups = Counter(
        GroupMembership.objects.filter(user=user, status=MembershipStatus.ACTIVE).values_list("group__name", flat=True)
    )
    return check_ins, groups


def run(user: Any, export: dict[str, Any]) -> dict[str, Any]:
    return localstorage_import(user=user, payload=export, tz_name="UTC")


def imported(exports_in_order: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """One user's history after importing these exports in order, from an empty database, and the last result.

    Each call is rolled back: the test's transaction spans all examples, and
    groups (with their access codes) left by another run would decide what
    this one matches.
    """
    with transaction.atomic():
        try:
            user = UserFactory.create()
            results = [run(user, export) for export in exports_in_order]
            return history(user), results[-1]
        finally:
            transaction.set_rollback(True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export=exports(), cut=st.integers(0, 10))
def test_any_export_imported_twice_after_any_prefix_gives_the_history_of_one_import(export, cut):
    once, _ = imported([export])
    repeated, again = imported([{**export, "checkIns": export["checkIns"][:cut]}, export, export])

    assert repeated == once
    assert (again["groups_created"], again["check_ins_imported"]) == (0, 0)


def test_an_import_rolled_back_imports_again(user):
    export = {
        "userProfile": {"id": PROFILE},
        "groups": [{"id": "g1", "name": "Crew", "accessCode": "abc"}],
        "checkIns": [
            {"id": "c1", "userId": PROFILE, "groupId": "g1", "weekStartDate": "2025-01-06"}
            | dict.fromkeys(("productive", "satisfied", "body", "care"), 5),
        ],
    }
    first = run(user, export)
    localstorage_import_rollback(user=user, import_id=first["import_id"])
    assert not CheckIn.objects.filter(user=user).exists()
    again = run(user, export)
    assert (again["groups_created"], again["check_ins_imported"]) == (1, 1)
    assert run(user, export)["check_ins_imported"] == 0
    assert Group.objects.filter(memberships__user=user).count() == 1


def test_a_remembered_group_the_caller_left_is_replaced_once(user):
    export = {
        "userProfile": {"id": PROFILE},
        "groups": [{"id": "g1", "name": "Crew", "accessCode": ""}],
        "checkIns": [
            {"id": "c1", "userId": PROFILE, "groupId": "g1", "weekStartDate": "2025-01-06"}
            | dict.fromkeys(("productive", "satisfied", "body", "care"), 5),
            {"userId": PROFILE, "groupId": "g1", "weekStartDate": "2025-01-13"}
            | dict.fromkeys(("productive", "satisfied", "body", "care"), 6),
        ],
    }
    run(user, export)
    GroupMembership.objects.filter(user=user).update(status=MembershipStatus.INACTIVE)
    # Left: the old group is imported anew (check-in c1 stays the one imported before) ...
    assert run(user, export)["groups_created"] == 1
    # ... and the new group is the one remembered from now on.
    assert run(user, export)["groups_created"] == 0
