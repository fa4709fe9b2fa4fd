"""The weekly reminder, run hourly by Celery beat.

A user is due once their local ``reminderDay`` has come and the local hour is
at or past ``reminderHour`` (so a missed hourly run catches up later that
day). Each due user gets one ``weekly_reminder`` per group they have not
checked in to for the group's current period; the key
``reminder:<group>:<period>`` is unique per user in the database, so a second
run in the same period adds nothing and sends no email. The email of each
user's new reminders is written to the outbox in the same transaction, so it
goes out once even if the worker dies after the commit.
"""

import logging
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from accounts.models import User
from accounts.preferences import WEEKDAYS
from checkins.models import CheckIn
from checkins.selectors import current_period_start
from groups.models import GroupMembership, MembershipStatus
from hucares.core.outbox import email_enqueue

from .emails import WEEKLY_REMINDER
from .models import Notification, NotificationType
from .selectors import email_preference, preference
from .services import Draft, notifications_create

logger = logging.getLogger(__name__)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def reminder_due(user: User, now: datetime) -> bool:
    """Whether the user's local reminder day and hour have come at ``now``."""
    local = now.astimezone(_zone(user.timezone))
    day, hour = preference(user, "reminderDay"), preference(user, "reminderHour")
    if day not in WEEKDAYS or not isinstance(hour, int):
        day, hour = "sunday", 18
    return local.weekday() == WEEKDAYS.index(day) and local.hour >= hour


def _due_memberships(now: datetime) -> list[GroupMembership]:
    memberships = (
        GroupMembership.objects.select_related("user", "group")
        .filter(status=MembershipStatus.ACTIVE, notification_enabled=True, group__is_active=True, user__is_active=True)
        .exclude(user__notification_preferences__weeklyReminder=False)
    )
    return [m for m in memberships.iterator(chunk_size=2000) if reminder_due(m.user, now)]


def _drafts(memberships: list[GroupMembership], now: datetime) -> list[Draft]:
    periods = {m.pk: current_period_start(m.group, now) for m in memberships}
    done = set(
        CheckIn.objects.filter(
            user_id__in={m.user_id for m in memberships},
            group_id__in={m.group_id for m in memberships},
            week_start_date__in=set(periods.values()),
        ).values_list("user_id", "group_id", "week_start_date")
    )
    return [
        Draft(
            user_id=m.user_id,
            dedupe_key=f"reminder:{m.group_id}:{periods[m.pk].isoformat()}",
            type=NotificationType.WEEKLY_REMINDER,
            title="Time for your check-in",
            message=f"You have not checked in to {m.group.name} yet this period.",
            data={"groupId": str(m.group_id), "groupName": m.group.name, "periodStart": periods[m.pk].isoformat()},
        )
        for m in memberships
        if (m.user_id, m.group_id, periods[m.pk]) not in done
    ]


def weekly_reminders_send(*, now: datetime) -> int:
    """Create the due reminders and email their users; returns how many reminders were created."""
    memberships = _due_memberships(now)
    users = {m.user_id: m.user for m in memberships}
    with transaction.atomic():
        created = notifications_create(drafts=_drafts(memberships, now))
        by_user: dict[User, list[Notification]] = defaultdict(list)
        for notification in created:
            by_user[users[notification.user_id]].append(notification)
        for user, reminders in by_user.items():
            if email_preference(user, "weeklyReminder"):
                params = {
                    "groupNames": sorted(n.data["groupName"] for n in reminders),
                    # Whose delivery the email records (notifications.delivery).
                    "notificationIds": [str(n.pk) for n in reminders],
                }
                email_enqueue(kind=WEEKLY_REMINDER, user=user, params=params)
    logger.info("weekly reminders: %d created", len(created))
    return len(created)
