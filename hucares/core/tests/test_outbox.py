"""The email outbox: each email a row, sent once, retried when a send fails or its sender dies."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.tests.factories import UserFactory
from hucares.core import outbox
from hucares.core.models import EmailStatus, OutboundEmail
from hucares.core.outbox import Mail, renderer
from hucares.core.tests.backends import DownBackend

pytestmark = pytest.mark.django_db

DOWN = "hucares.core.tests.backends.DownBackend"
WORKING = "django.core.mail.backends.locmem.EmailBackend"


@renderer("test_note")
def note(email: OutboundEmail) -> Mail | None:
    return None if email.params.get("moot") else Mail(to=email.to_address, subject="Note", body=email.params["text"])


def enqueue(capture, **params) -> OutboundEmail:
    with capture(execute=True):
        email = outbox.email_enqueue(kind="test_note", to_address="ada@example.com", params={"text": "hi", **params})
    assert email is not None
    email.refresh_from_db()
    return email


def test_an_email_is_sent_after_its_cause_commits_and_recorded(django_capture_on_commit_callbacks):
    email = enqueue(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (["ada@example.com"], "Note", "hi")
    assert message.extra_headers["Message-ID"] == f"<{email.pk}@hucares.local>"
    assert (email.status, email.attempts, email.claimed_until) == (EmailStatus.SENT, 1, None)
    assert email.sent_at is not None


def failing_cause() -> None:
    with transaction.atomic():
        outbox.email_enqueue(kind="test_note", to_address="ada@example.com", params={"text": "hi"})
        raise RuntimeError("the cause failed")


def test_a_rolled_back_cause_leaves_no_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_cause()
    assert (callbacks, mail.outbox, OutboundEmail.objects.count()) == ([], [], 0)


def test_a_dedupe_key_writes_an_email_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.email_enqueue(kind="test_note", to_address="a@example.com", params={"text": "x"}, dedupe_key="k")
        again = outbox.email_enqueue(kind="test_note", to_address="a@example.com", params={"text": "x"}, dedupe_key="k")
    assert first is not None
    assert again is None
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_later_and_sent_exactly_once(
    settings, time_machine, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN
    email = enqueue(django_capture_on_commit_callbacks)
    assert (email.status, email.attempts, email.claimed_until) == (EmailStatus.PENDING, 1, None)
    assert email.last_error.startswith("SMTPServerDisconnected")
    assert email.next_attempt_at > timezone.now()

    settings.EMAIL_BACKEND = WORKING
    # Not due yet: neither a repeated task nor the dispatch sends it.
    assert outbox.send_email.delay(str(email.pk)).get() == "skipped"
    assert outbox.emails_dispatch() == 0
    time_machine.move_to(email.next_attempt_at + timedelta(seconds=1))
    assert outbox.emails_dispatch() == 1
    assert outbox.emails_dispatch() == 0
    assert outbox.send_email.delay(str(email.pk)).get() == "skipped"
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 2, "")


def test_an_email_whose_sender_died_mid_send_is_sent_exactly_once(
    settings, time_machine, django_capture_on_commit_callbacks
):
    # A first worker fails to reach the relay; the second claims the retry and is killed before sending.
    settings.EMAIL_BACKEND = DOWN
    email = enqueue(django_capture_on_commit_callbacks)
    time_machine.move_to(email.next_attempt_at + timedelta(seconds=1))
    assert outbox.email_claim(email_id=email.pk) is not None  # ... and the worker dies here

    settings.EMAIL_BACKEND = WORKING
    # The broker redelivers the task while the dead worker's claim still stands: nothing is sent twice.
    assert outbox.send_email.delay(str(email.pk)).get() == "skipped"
    assert outbox.emails_dispatch() == 0
    assert mail.outbox == []
    # Once the claim has expired, the periodic dispatch sends it, once.
    time_machine.move_to(timezone.now() + outbox.CLAIM_LEASE + timedelta(seconds=1))
    assert outbox.emails_dispatch() == 1
    assert outbox.emails_dispatch() == 0
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 3)


def test_an_email_is_given_up_after_the_last_attempt(settings, time_machine, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = DOWN
    DownBackend.attempts = 0
    email = enqueue(django_capture_on_commit_callbacks)
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        time_machine.move_to(timezone.now() + outbox.MAX_RETRY_DELAY)
        assert outbox.emails_dispatch() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, DownBackend.attempts) == (EmailStatus.FAILED, outbox.MAX_ATTEMPTS, 8)
    time_machine.move_to(timezone.now() + outbox.MAX_RETRY_DELAY)
    assert outbox.emails_dispatch() == 0


def test_an_email_with_nothing_left_to_say_is_cancelled(django_capture_on_commit_callbacks):
    email = enqueue(django_capture_on_commit_callbacks, moot=True)
    assert (email.status, mail.outbox) == (EmailStatus.CANCELLED, [])


def test_an_email_of_an_unknown_kind_is_kept_for_a_retry(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = outbox.email_enqueue(kind="no_such_kind", user=UserFactory.create())
    assert email is not None
    email.refresh_from_db()
    assert (email.status, email.last_error) == (EmailStatus.PENDING, "KeyError: 'no_such_kind'")


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_an_email_once():
    email = OutboundEmail.objects.create(kind="test_note", to_address="ada@example.com", params={"text": "hi"})
    start, outcomes = threading.Barrier(4), []

    def sender() -> None:
        try:
            start.wait(timeout=10)
            outcomes.append(outbox.email_deliver(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(mail.outbox) == 1


def test_superusers_can_read_the_outbox_in_the_admin(superuser_client, django_capture_on_commit_callbacks):
    email = enqueue(django_capture_on_commit_callbacks)
    assert b"ada@example.com" in superuser_client.get("/admin/core/outboundemail/?status=sent").content
    assert superuser_client.get(f"/admin/core/outboundemail/{email.pk}/change/").status_code == 200
    assert superuser_client.get("/admin/core/outboundemail/add/").status_code == 403


def test_an_operator_retries_a_given_up_email_from_the_admin(
    settings, superuser_client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN
    email = enqueue(django_capture_on_commit_callbacks)
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, attempts=outbox.MAX_ATTEMPTS)
    settings.EMAIL_BACKEND = WORKING
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            "/admin/core/outboundemail/", {"action": "retry", "_selected_action": [str(email.pk)]}
        )
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.attempts, len(mail.outbox)) == (EmailStatus.SENT, 1, 1)


def test_finished_emails_are_purged_after_the_retention(time_machine, django_capture_on_commit_callbacks):
    sent = enqueue(django_capture_on_commit_callbacks)
    OutboundEmail.objects.create(kind="test_note", to_address="late@example.com", params={"text": "x"})
    time_machine.move_to(timezone.now() + outbox.RETENTION + timedelta(hours=1))
    assert outbox.purge_finished_emails.delay().get() == 1
    assert not OutboundEmail.objects.filter(pk=sent.pk).exists()
    assert OutboundEmail.objects.filter(status=EmailStatus.PENDING).count() == 1


def test_a_broker_outage_at_commit_fails_nothing_and_the_dispatch_sends_later(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise OperationalError("Error 111 connecting to the broker")

    with monkeypatch.context() as patched:
        patched.setattr(outbox.send_email, "delay", broker_down)
        email = enqueue(django_capture_on_commit_callbacks)
    assert (email.status, email.attempts, mail.outbox) == (EmailStatus.PENDING, 0, [])
    assert outbox.emails_dispatch() == 1
    assert len(mail.outbox) == 1


def test_an_email_deleted_with_its_account_is_skipped(django_capture_on_commit_callbacks):
    user = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=False):
        email = outbox.email_enqueue(kind="test_note", user=user, params={"text": "x"})
    assert email is not None
    user.delete()
    assert outbox.send_email.delay(str(email.pk)).get() == "skipped"


def test_a_crashed_senders_email_goes_out_again_within_two_minutes(
    settings, time_machine, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN  # the first send never reaches the mail server
    email = enqueue(django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = WORKING
    time_machine.move_to(email.next_attempt_at + timedelta(seconds=1))
    assert outbox.email_claim(email_id=email.pk) is not None
    crash = timezone.now()  # the sender is killed mid-send, right after its claim
    # The dispatch runs every `schedule` seconds; the last run before two minutes
    # have passed must find the email claimable, whatever the phase of the beat.
    every = timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["dispatch-due-emails"]["schedule"])
    time_machine.move_to(crash + timedelta(minutes=2) - every)
    assert outbox.emails_dispatch() == 1
    [message] = mail.outbox
    # The copy a receiver may get twice (accepted, then the crash) is the same message: one Message-ID per row.
    assert message.extra_headers["Message-ID"] == f"<{email.pk}@hucares.local>"


def test_a_send_task_ends_before_its_claim_does(settings):
    # A slow sender still running when its claim lapses could send alongside the next one.
    time_limit = outbox.send_email.time_limit
    assert time_limit is not None
    assert timedelta(seconds=time_limit) < outbox.CLAIM_LEASE
    assert time_limit > settings.EMAIL_TIMEOUT * 3  # connect, send, quit each may block
    schedule = settings.CELERY_BEAT_SCHEDULE["dispatch-due-emails"]["schedule"]
    assert timedelta(seconds=schedule) == outbox.DISPATCH_INTERVAL
    assert timedelta(minutes=2) > outbox.CLAIM_LEASE + outbox.DISPATCH_INTERVAL
