"""Which constraint an IntegrityError names (PostgreSQL, and SQLite's messages); fields with a column.

``insert_from_select`` and ``RandomUUID`` are exercised by the check-in
notifications (notifications/tests/test_fanout.py) and, on SQLite, by
tests/test_embedded_default.py.
"""

import pytest
from django.db import IntegrityError

from checkins.models import CheckIn
from groups.integrity import violated_constraint
from groups.models import Group, GroupMembership
from groups.tests.factories import MembershipFactory
from hucares.core.db import concrete_field


def test_sqlite_unique_columns_name_the_models_constraint() -> None:
    exc = IntegrityError("UNIQUE constraint failed: check_ins.user_id, check_ins.group_id, check_ins.week_start_date")
    assert violated_constraint(exc, CheckIn) == "check_ins_user_group_period_unique"


def test_sqlite_unique_index_is_named_as_it_is() -> None:
    exc = IntegrityError("UNIQUE constraint failed: index 'groups_active_access_code_unique'")
    assert violated_constraint(exc, Group) == "groups_active_access_code_unique"


@pytest.mark.parametrize(
    "message",
    ["UNIQUE constraint failed: check_ins.user_id", "NOT NULL constraint failed: check_ins.user_id", "boom"],
)
def test_other_failures_name_no_constraint(message: str) -> None:
    assert violated_constraint(IntegrityError(message), CheckIn) is None


@pytest.mark.django_db
def test_postgresql_names_the_constraint() -> None:
    membership = MembershipFactory.create()
    with pytest.raises(IntegrityError) as caught:
        GroupMembership.objects.create(group=membership.group, user=membership.user)
    assert violated_constraint(caught.value, GroupMembership) == "group_memberships_group_user_unique"


def test_a_relation_without_a_column_is_refused() -> None:
    with pytest.raises(TypeError, match="no column"):
        concrete_field(Group, "memberships")
