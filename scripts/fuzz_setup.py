"""The data ``scripts/fuzz_api.sh`` fuzzes against: a member with a group, a friend in it and a
check-in, so that the generated requests reach more than 404s. Prints the member's access token."""

import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import django

    django.setup()
    from accounts.models import User
    from accounts.services import ClientInfo, session_start
    from checkins.services import checkin_submit
    from groups.services import group_create, group_join

    run = uuid.uuid4().hex[:6]
    member, friend = (
        User.objects.create_user(
            username=f"{name}{run}",
            email=f"{name}{run}@fuzz.example",
            password=os.urandom(16).hex(),
            email_verified=True,
        )
        for name in ("fuzz", "friend")
    )
    group = group_create(user=member, name=f"Fuzz {run}")
    group_join(user=friend, access_code=group.access_code)
    checkin_submit(user=member, group_id=group.pk, productive=5, satisfied=5, body=5, care=5)
    print(session_start(user=member, client=ClientInfo()).access)


if __name__ == "__main__":
    main()
