import datetime

import factory

from accounts.tests.factories import UserFactory
from groups.models import Group, GroupMembership, MembershipStatus, Role


class GroupFactory(factory.django.DjangoModelFactory[Group]):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")
    access_code = factory.Sequence(lambda n: f"G{n:07d}"[-8:])
    period_anchor = datetime.date(2025, 1, 6)
    created_by = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory[GroupMembership]):
    class Meta:
        model = GroupMembership

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
    status = MembershipStatus.ACTIVE
