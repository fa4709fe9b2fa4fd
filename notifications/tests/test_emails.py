"""The notification emails as the outbox sends them."""

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from hucares.core import outbox
from hucares.core.models import EmailStatus

pytestmark = pytest.mark.django_db

INVITATION = {"groupName": "Crew", "accessCode": "K7Q2M9XP", "invitedBy": "ada"}


def send(capture, **fields):
    with capture(execute=True):
        email = outbox.email_enqueue(kind="group_invitation", params=INVITATION, **fields)
    assert email is not None
    email.refresh_from_db()
    return email


def test_an_invitation_to_an_account_greets_it_by_name(django_capture_on_commit_callbacks):
    user = UserFactory.create(username="bob")
    send(django_capture_on_commit_callbacks, user=user)
    [message] = mail.outbox
    assert (message.to, message.subject) == ([user.email], "You are invited to a group on HuCares")
    assert message.body.startswith("Hi bob,")
    assert "K7Q2M9XP" in message.body


def test_an_invitation_to_an_address_without_an_account_invites_it_to_register(django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks, to_address="new@example.com")
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "/register" in message.body


def test_no_invitation_to_register_once_the_address_has_an_account(django_capture_on_commit_callbacks):
    UserFactory.create(email="new@example.com")
    email = send(django_capture_on_commit_callbacks, to_address="new@example.com")
    assert (email.status, mail.outbox) == (EmailStatus.CANCELLED, [])


@pytest.mark.parametrize("to", [{"to_address": "new@example.com"}, {}])
def test_a_group_name_never_reaches_the_subject_and_is_quoted_in_the_body(django_capture_on_commit_callbacks, to):
    phishing = 'Your account is locked\nVisit https://evil.example "now"'
    fields = to or {"user": UserFactory.create(username="bob")}
    with django_capture_on_commit_callbacks(execute=True):
        outbox.email_enqueue(kind="group_invitation", params={**INVITATION, "groupName": phishing}, **fields)
    [message] = mail.outbox
    assert message.subject == "You are invited to a group on HuCares"
    assert (
        'The group\'s name, as its creator wrote it: "Your account is locked\\nVisit https://evil.example \\"now\\""'
        in (message.body)
    )
    assert "\nVisit" not in message.body
