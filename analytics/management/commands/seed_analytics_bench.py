"""Seed two years of weekly check-ins for a 20-member group, for bench/analytics.py.

Written straight through the ORM in bulk (this is test data, not user
actions: no signals, no notifications). Running it again replaces the
previous bench data. Prints the credentials and ids as JSON.
"""

import json
import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn
from groups.access_codes import generate_access_code
from groups.models import Group, GroupMembership, Role
from groups.periods import monday_of

EMAIL_DOMAIN = "analytics-bench.example.com"
PASSWORD = "Bench-Analytics-2024"
GROUP_NAME = "Analytics bench"


def _score(rng: random.Random, base: float) -> int:
    return max(1, min(10, round(rng.gauss(base, 1.8))))


class Command(BaseCommand):
    help = "Create (or recreate) the analytics bench data and print its credentials as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=20)
        parser.add_argument("--weeks", type=int, default=104)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(options["seed"])  # noqa: S311 - reproducible bench data, not secrets
        with transaction.atomic():
            Group.objects.filter(name=GROUP_NAME, created_by__email__endswith=f"@{EMAIL_DOMAIN}").delete()
            User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
            users = self._users(options["members"])
            group = self._group(users, options["weeks"])
            count = self._check_ins(rng, users, group, options["weeks"])
        report = {
            "password": PASSWORD,
            "emails": [user.email for user in users],
            "groupId": str(group.pk),
            "checkIns": count,
        }
        self.stdout.write(json.dumps(report))

    def _users(self, count: int) -> list[User]:
        hashed = make_password(PASSWORD)
        users = [
            User(username=f"bench_a{index:02d}", email=f"member{index:02d}@{EMAIL_DOMAIN}", password=hashed)
            for index in range(count)
        ]
        for index, user in enumerate(users):
            # A few members keep their scores to themselves: the privacy filter is part of the work.
            if index % 7 == 6:
                user.privacy_settings = {"profile": "friends", "scores": "private"}
        return User.objects.bulk_create(users)

    def _group(self, users: list[User], weeks: int) -> Group:
        first = monday_of(timezone.localdate()) - timedelta(weeks=weeks)
        started = datetime.combine(first, time.min, ZoneInfo("UTC"))
        group = Group.objects.create(
            name=GROUP_NAME,
            access_code=generate_access_code(),
            period_anchor=first,
            created_by=users[0],
            member_count=len(users),
            max_members=max(20, len(users)),
        )
        GroupMembership.objects.bulk_create(
            GroupMembership(group=group, user=user, role=Role.ADMIN if index == 0 else Role.MEMBER)
            for index, user in enumerate(users)
        )
        Group.objects.filter(pk=group.pk).update(created_at=started)
        GroupMembership.objects.filter(group=group).update(joined_at=started)
        return group

    def _check_ins(self, rng: random.Random, users: list[User], group: Group, weeks: int) -> int:
        rows = []
        for user in users:
            base = rng.uniform(4, 8)
            for offset in range(weeks, -1, -1):
                if rng.random() < 0.12:  # a missed week now and then
                    continue
                start = group.period_anchor + timedelta(weeks=weeks - offset)
                scores = {name: _score(rng, base) for name in ("productive", "satisfied", "body", "care")}
                rows.append(
                    CheckIn(user=user, group=group, week_start_date=start, is_private=rng.random() < 0.05, **scores)
                )
        CheckIn.objects.bulk_create(rows, batch_size=2000)
        Group.objects.filter(pk=group.pk).update(total_check_ins=len(rows))
        return len(rows)
