"""The weekly reminder: local time across timezones, once per period, none after checking in."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from accounts.preferences import default_notification_preferences
from accounts.tests.factories import UserFactory
from checkins.tests.factories import CheckInFactory
from groups.tests.factories import GroupFactory, MembershipFactory
from hucares.core import outbox
from notifications import tasks
from notifications.models import Notification, NotificationType

pytestmark = pytest.mark.django_db

# Sunday 1 March 2026; the week (weekly groups) started on Monday 23 February.
SUNDAY = dt.date(2026, 3, 1)
WEEK_START = dt.date(2026, 2, 23)


def at_utc(hour: int, minute: int = 30, day: dt.date = SUNDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def member(tz: str = "UTC", group=None, **pref_changes):
    prefs = {**default_notification_preferences(), **pref_changes}
    user = UserFactory.create(timezone=tz, notification_preferences=prefs)
    MembershipFactory.create(user=user, group=group or GroupFactory.create())
    return user


def run_at(instant: dt.datetime, django_capture_on_commit_callbacks) -> int:
    with time_machine.travel(instant, tick=False), django_capture_on_commit_callbacks(execute=True):
        return tasks.send_weekly_reminders.delay().get()


def reminded() -> set:
    return set(Notification.objects.filter(type=NotificationType.WEEKLY_REMINDER).values_list("user_id", flat=True))


def test_reminder_follows_each_users_local_day_and_hour(django_capture_on_commit_callbacks) -> None:
    berlin = member("Europe/Berlin")  # 17:30 UTC is 18:30 on Sunday
    new_york = member("America/New_York")  # 12:30 on Sunday: too early
    tokyo = member("Asia/Tokyo")  # 02:30 on Monday: the day has passed
    early_bird = member("America/New_York", reminderDay="sunday", reminderHour=9)
    assert run_at(at_utc(17), django_capture_on_commit_callbacks) == 2
    assert reminded() == {berlin.pk, early_bird.pk}
    assert run_at(at_utc(23), django_capture_on_commit_callbacks) == 1  # 18:30 in New York
    assert reminded() == {berlin.pk, early_bird.pk, new_york.pk}
    assert tokyo.pk not in reminded()


def test_reminder_day_is_the_users_choice(django_capture_on_commit_callbacks) -> None:
    wednesday_person = member("UTC", reminderDay="wednesday", reminderHour=8)
    assert run_at(at_utc(20), django_capture_on_commit_callbacks) == 0
    assert run_at(at_utc(8, day=dt.date(2026, 3, 4)), django_capture_on_commit_callbacks) == 1
    assert reminded() == {wednesday_person.pk}


def test_running_twice_sends_one_reminder_and_one_email(django_capture_on_commit_callbacks) -> None:
    user = member("UTC")
    assert run_at(at_utc(18), django_capture_on_commit_callbacks) == 1
    assert run_at(at_utc(19), django_capture_on_commit_callbacks) == 0
    [notification] = Notification.objects.filter(user=user)
    assert notification.dedupe_key == f"reminder:{notification.data['groupId']}:{WEEK_START.isoformat()}"
    assert notification.data["periodStart"] == WEEK_START.isoformat()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_reminder_emails_survive_a_worker_killed_after_the_commit(django_capture_on_commit_callbacks) -> None:
    users = [member("UTC") for _ in range(5)]
    # The worker commits the reminders and is killed before any email leaves (the after-commit sends never run).
    with time_machine.travel(at_utc(18), tick=False), django_capture_on_commit_callbacks(execute=False):
        assert tasks.send_weekly_reminders.delay().get() == 5
    assert mail.outbox == []
    # The broker redelivers the task: it finds the reminders there and creates nothing more ...
    assert run_at(at_utc(18, 40), django_capture_on_commit_callbacks) == 0
    # ... and the outbox's periodic dispatch sends every lost email, once.
    with time_machine.travel(at_utc(18, 41), tick=False):
        assert outbox.emails_dispatch() == 5
        assert outbox.emails_dispatch() == 0
    assert sorted(message.to[0] for message in mail.outbox) == sorted(user.email for user in users)


def test_no_reminder_after_checking_in_for_the_period(django_capture_on_commit_callbacks) -> None:
    group = GroupFactory.create()
    done = member("UTC", group=group)
    pending = member("UTC", group=group)
    CheckInFactory.create(user=done, group=group, week_start_date=WEEK_START)
    CheckInFactory.create(user=pending, group=group, week_start_date=WEEK_START - dt.timedelta(weeks=1))
    assert run_at(at_utc(18), django_capture_on_commit_callbacks) == 1
    assert reminded() == {pending.pk}


def test_one_reminder_per_group_not_checked_in(django_capture_on_commit_callbacks) -> None:
    user = member("UTC")
    MembershipFactory.create(user=user, group=GroupFactory.create(check_in_frequency="daily"))
    assert run_at(at_utc(18), django_capture_on_commit_callbacks) == 2
    periods = sorted(n.data["periodStart"] for n in Notification.objects.filter(user=user))
    assert periods == [WEEK_START.isoformat(), SUNDAY.isoformat()]
    assert len(mail.outbox) == 1  # one email listing both groups


def test_email_and_reminder_preferences_are_honoured(django_capture_on_commit_callbacks) -> None:
    no_email = member("UTC", email={"weeklyReminder": False, "groupInvitation": True})
    member("UTC", weeklyReminder=False)
    muted = UserFactory.create()
    MembershipFactory.create(user=muted, notification_enabled=False)
    assert run_at(at_utc(18), django_capture_on_commit_callbacks) == 1
    assert reminded() == {no_email.pk}
    assert mail.outbox == []


def test_broken_preferences_fall_back_to_the_defaults(django_capture_on_commit_callbacks) -> None:
    odd = member("Not/AZone", reminderDay="someday", reminderHour="six")
    assert run_at(at_utc(18), django_capture_on_commit_callbacks) == 1
    assert reminded() == {odd.pk}
