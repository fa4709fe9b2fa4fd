from dataclasses import dataclass

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from groups.models import Group, MembershipStatus, Role
from groups.tests.factories import GroupFactory, MembershipFactory


@dataclass
class Crew:
    group: Group
    admin: User
    moderator: User
    member: User
    target: User
    banned: User
    outsider: User

    def actor(self, name: str) -> User:
        user: User = getattr(self, name)
        return user


@pytest.fixture
def crew(db: None) -> Crew:
    """A group with one user per role, a plain member to act on, a banned user and an outsider."""
    group = GroupFactory.create(member_count=4, allow_member_invite=False)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    moderator = MembershipFactory.create(group=group, role=Role.MODERATOR).user
    member = MembershipFactory.create(group=group, role=Role.MEMBER).user
    target = MembershipFactory.create(group=group, role=Role.MEMBER).user
    banned = MembershipFactory.create(group=group, status=MembershipStatus.BANNED).user
    return Crew(group, admin, moderator, member, target, banned, UserFactory.create())
