"""A check-in journey and the reads after it on the embedded default (SQLite, no Redis), run in its own process by
``tests/test_embedded_default.py``: the test suite itself runs on PostgreSQL.

Prints one JSON object with what the journey saw.
"""

import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.services import ClientInfo, session_start
    from groups import services as group_services
    from notifications.models import Notification, NotificationType

    call_command("migrate", verbosity=0)
    users = [
        User.objects.create_user(
            username=name, email=f"{name}@example.com", password="Sunny-Day-42", email_verified=True
        )
        for name in ("ada", "bo", "cy")
    ]
    group = group_services.group_create(user=users[0], name="Embedded")
    for member in users[1:]:
        group_services.group_join(user=member, access_code=group.access_code)
    token = session_start(user=users[0], client=ClientInfo()).access
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.dumps({"groupId": str(group.pk), "productive": 8, "satisfied": 7, "body": 6, "care": 9})
    first = client.post("/api/v1/checkins", body, content_type="application/json")
    second = client.post("/api/v1/checkins", body, content_type="application/json")
    notifications = Notification.objects.filter(type=NotificationType.FRIEND_CHECK_IN).order_by("user__username")
    # The reads that go through the JSON privacy settings (search, the score-privacy rule).
    reads = {
        path: client.get(f"/api/v1/{path}").status_code
        for path in (
            "users/search?q=bo",
            f"analytics/group/{group.pk}",
            f"analytics/comparison?groupId={group.pk}",
            "analytics/insights",
            "checkins/history",
        )
    }
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "first": [first.status_code, first.json()["data"]["huCaresScore"]],
                "second": [second.status_code, second.json()["error"]["code"]],
                "notified": [n.user.username for n in notifications],
                "uuid_versions": [uuid.UUID(str(n.pk)).version for n in notifications],
                "reads": reads,
            }
        )
    )


if __name__ == "__main__":
    main()
