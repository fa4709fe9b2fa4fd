"""One shared read serializer per process gives what a new serializer per object gives."""

import pytest

from groups.api.serializers import GroupSerializer
from groups.tests.factories import GroupFactory
from hucares.core.serializers import represent, represent_many

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["admin", "moderator", "member", None])
def test_represent_matches_a_new_serializer_for_every_role(role: str | None) -> None:
    group = GroupFactory.create(allow_member_invite=False, description="Friends")
    group.my_role = role  # type: ignore[attr-defined]

    assert represent(GroupSerializer, group) == GroupSerializer(group).data


def test_the_shared_serializer_keeps_nothing_of_the_previous_object() -> None:
    first, second = GroupFactory.create(), GroupFactory.create(name="Other")
    first.my_role, second.my_role = "admin", "member"  # type: ignore[attr-defined]

    many = represent_many(GroupSerializer, [first, second])

    assert many == [GroupSerializer(first).data, GroupSerializer(second).data]
    assert many[0]["access_code"] == first.access_code
    assert many[1]["access_code"] is None
    assert represent(GroupSerializer, first)["name"] == first.name
