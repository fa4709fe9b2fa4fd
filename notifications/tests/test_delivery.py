"""Each notification records how and when it reached its owner (socket, email) and its email's failure,
and both are counted in ``notification_deliveries_total``."""

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import time_machine
from django.core import mail
from prometheus_client import REGISTRY

from accounts.models import User
from accounts.tests.factories import UserFactory
from groups.tests.factories import GroupFactory, MembershipFactory
from hucares.core import outbox
from hucares.core.models import OutboundEmail
from notifications import tasks
from notifications.delivery import notifications_record_email, notifications_record_push
from notifications.models import Notification, NotificationType
from notifications.services import Draft, notifications_create
from realtime.presence import store

pytestmark = pytest.mark.django_db

# A Sunday evening: every member with the default preferences is due a reminder.
SUNDAY_EVENING = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC)


def deliveries(channel: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("notification_deliveries_total", {"channel": channel, "outcome": outcome}) or 0.0


@pytest.fixture
def connected(user: User) -> Iterator[User]:
    """``user`` with a live socket, as the socket server registers it in presence (Redis)."""
    socket_id = f"test.{uuid.uuid4().hex}"
    store().connect(str(user.pk), socket_id)
    yield user
    store().disconnect(str(user.pk), socket_id)


def draft(user: User) -> Draft:
    return Draft(
        user_id=user.pk, dedupe_key=uuid.uuid4().hex, type=NotificationType.MEMBER_JOINED, title="t", message="m"
    )


def test_a_notification_pushed_to_a_live_socket_records_when(
    connected: User, django_capture_on_commit_callbacks
) -> None:
    offline = UserFactory.create()
    before = deliveries("socket", "delivered")
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(drafts=[draft(connected), draft(offline)])
    pushed = dict(Notification.objects.values_list("user_id", "pushed_at"))
    assert pushed[connected.pk] is not None
    assert pushed[offline.pk] is None  # it waits in the stream: read later, not pushed
    assert deliveries("socket", "delivered") == before + 1


def test_a_rolled_back_notification_records_no_push(connected: User, django_capture_on_commit_callbacks) -> None:
    before = deliveries("socket", "delivered")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications_create(drafts=[draft(connected)])
    assert callbacks  # the record waits for the commit, which never comes here
    assert Notification.objects.get().pushed_at is None
    assert deliveries("socket", "delivered") == before


def remind(django_capture_on_commit_callbacks) -> User:
    user = UserFactory.create(timezone="UTC")
    MembershipFactory.create(user=user, group=GroupFactory.create())
    with time_machine.travel(SUNDAY_EVENING, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_weekly_reminders.delay().get() == 1
    return user


def test_an_emailed_reminder_records_when_the_mail_server_took_it(django_capture_on_commit_callbacks) -> None:
    before = deliveries("email", "delivered")
    user = remind(django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [[user.email]]
    reminder = Notification.objects.get(user=user)
    assert reminder.emailed_at is not None
    assert reminder.email_error == ""
    assert deliveries("email", "delivered") == before + 1


def test_a_failed_email_records_its_error_then_its_delivery(settings, django_capture_on_commit_callbacks) -> None:
    # A real SMTP client against a closed port: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    retrying = deliveries("email", "retrying")
    user = remind(django_capture_on_commit_callbacks)
    reminder = Notification.objects.get(user=user)
    assert reminder.emailed_at is None
    assert reminder.email_error.startswith("ConnectionRefusedError")
    assert deliveries("email", "retrying") == retrying + 1
    # The mail server is back; the outbox's dispatch tries again once the retry is due.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(SUNDAY_EVENING + outbox.MAX_RETRY_DELAY, tick=False):
        assert outbox.emails_dispatch() == 1
    reminder.refresh_from_db()
    assert reminder.emailed_at is not None
    assert reminder.email_error == ""
    assert OutboundEmail.objects.get().status == "sent"


def test_no_push_is_recorded_while_presence_is_down(settings, user: User) -> None:
    notification = notifications_create(drafts=[draft(user)])[0]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # presence on a closed port: refused, as a stopped Redis
    assert notifications_record_push(created=[(notification.pk, user.pk)]) == 0
    notification.refresh_from_db()
    assert notification.pushed_at is None


def test_an_email_given_up_records_its_last_error(user: User) -> None:
    notification = notifications_create(drafts=[draft(user)])[0]
    before = deliveries("email", "failed")
    changed = notifications_record_email(
        notification_ids=[str(notification.pk)], status="failed", error="SMTPRecipientsRefused: no such user"
    )
    assert changed == 1
    notification.refresh_from_db()
    assert (notification.emailed_at, notification.email_error) == (None, "SMTPRecipientsRefused: no such user")
    assert deliveries("email", "failed") == before + 1
    # A cancelled email (nobody left to reach) records nothing.
    assert notifications_record_email(notification_ids=[str(notification.pk)], status="cancelled", error="") == 0
