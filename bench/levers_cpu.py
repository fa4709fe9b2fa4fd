"""CPU of the small levers of issue 25, each against what it replaced, in one process (no server).

Run after ``bench/mix_cpu.py`` made its group (``mix-cpu``, 10 members). It
prints µs of CPU per call, ``--rounds`` times, of: PyJWT's verification of an
access token (``accounts.tokens.decode_token``) against the claims a process
keeps (``_access_claims``); and ``Serializer(...).data`` against
``hucares.core.serializers.represent`` for the profile, the members list
(with presence and absolute avatar URLs set per row, as the view does) and
the notification list. It asserts that each pair gives the same output.

    python bench/levers_cpu.py --rounds 3
"""

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from trees import environment


def per_call(call: Callable[[], Any], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - started) / count * 1e6


def pairs() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    from django.test import RequestFactory

    from accounts import tokens
    from accounts.api.serializers import UserProfileSerializer
    from accounts.models import User
    from accounts.serializers import avatar_url
    from groups import selectors
    from groups.api.serializers import MemberSerializer
    from groups.models import Group
    from hucares.core.serializers import represent, represent_many
    from notifications.api.serializers import NotificationSerializer
    from notifications.models import Notification

    user = User.objects.get(username="mixcpu1")
    raw = tokens.issue_pair(user=user, session_id=uuid.uuid4(), record=False).access
    request = RequestFactory().get("/")
    members = list(selectors.group_members(group_id=Group.objects.get(name="mix-cpu", is_active=True).pk))
    notifications = list(Notification.objects.filter(user=user).order_by("-created_at")[:20])

    def members_shared() -> Any:
        data = represent_many(MemberSerializer, members)
        for membership, row in zip(members, data, strict=True):
            row["is_online"] = False
            row["user"]["avatar_url"] = avatar_url(membership.user, request)
        return data

    return {
        "access token": (lambda: tokens.decode_token(raw, tokens.ACCESS), lambda: tokens._access_claims(raw)),
        "profile": (
            lambda: UserProfileSerializer(user, context={"request": request}).data,
            lambda: represent(UserProfileSerializer, user),
        ),
        f"{len(members)} members": (
            lambda: MemberSerializer(members, many=True, context={"request": request, "online": set()}).data,
            members_shared,
        ),
        f"{len(notifications)} notifications": (
            lambda: NotificationSerializer(notifications, many=True).data,
            lambda: represent_many(NotificationSerializer, notifications),
        ),
    }


def main(args: argparse.Namespace) -> None:
    os.environ.update({key: value for key, value in environment("leverscpu").items() if key != "PATH"})
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    measured = pairs()
    for name, (before, after) in measured.items():
        if name != "access token":
            assert before() == after(), name
    for round_number in range(1, args.rounds + 1):
        for name, (before, after) in measured.items():
            count = 5000 if name == "access token" else 1000
            print(f"round {round_number}  {name:<18} {per_call(before, count):8.1f} → {per_call(after, count):6.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args())
