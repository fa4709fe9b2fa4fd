"""Inviting is no account-lookup oracle: same answer by email either way, private profiles, own limits."""

from typing import Any

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def invite(client: Any, crew: Any, body: dict[str, str]) -> Any:
    return client.post(f"/api/v1/groups/{crew.group.pk}/invite", body, format="json")


def _shape(response: Any) -> tuple[int, dict[str, Any]]:
    body = response.json()
    data = dict(body["data"])
    data.pop("email")  # the address the caller sent, echoed
    return response.status_code, {**body, "data": data, "meta": {}}


def test_an_email_invite_answers_the_same_with_or_without_an_account(
    crew, client_for, django_capture_on_commit_callbacks
) -> None:
    UserFactory.create(email="known@example.com")
    client = client_for(crew.admin)
    with django_capture_on_commit_callbacks(execute=True):
        known = invite(client, crew, {"email": "known@example.com"})
        unknown = invite(client, crew, {"email": "nobody@example.com"})
        member = invite(client, crew, {"email": crew.member.email})
        banned = invite(client, crew, {"email": crew.banned.email})

    assert known.status_code == 201
    assert _shape(known) == _shape(unknown) == _shape(member) == _shape(banned)
    assert known.json()["data"] == {"groupId": str(crew.group.pk), "invitee": None, "email": "known@example.com"}


def test_an_address_without_an_account_is_invited_to_register(
    crew, client_for, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(crew.admin), crew, {"email": "New.Person@Example.com"})

    (message,) = mail.outbox
    assert message.to == ["new.person@example.com"]
    assert "/register" in message.body
    assert f'"{crew.group.name}"' in message.body  # quoted as data; the subject is fixed
    assert crew.admin.username in message.body


def test_an_address_with_an_account_gets_the_usual_invitation(
    crew, client_for, django_capture_on_commit_callbacks
) -> None:
    invitee = UserFactory.create(email="pal@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(crew.admin), crew, {"email": "pal@example.com"})

    assert Notification.objects.filter(user=invitee, type="group_invitation").count() == 1
    assert all("/register" not in message.body for message in mail.outbox)


def test_members_and_banned_users_get_nothing_by_email(crew, client_for, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(crew.admin), crew, {"email": crew.member.email})
        invite(client_for(crew.admin), crew, {"email": crew.banned.email})

    assert mail.outbox == []
    assert not Notification.objects.filter(user__in=[crew.member, crew.banned]).exists()


def test_a_private_profile_cannot_be_invited_by_username(crew, client_for) -> None:
    hidden = UserFactory.create(privacy_settings={"profile": "private", "scores": "group"})
    client = client_for(crew.admin)

    response = invite(client, crew, {"username": hidden.username})
    ghost = invite(client, crew, {"username": "ghost_user"})

    assert response.status_code == 404
    assert response.json()["error"] == ghost.json()["error"]
    assert not Notification.objects.filter(user=hidden).exists()


def test_invitations_have_their_own_per_user_limit(crew, client_for, settings) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_INVITE = "2/h"
    client = client_for(crew.admin)
    assert invite(client, crew, {"email": "a@example.com"}).status_code == 201
    assert invite(client, crew, {"username": crew.outsider.username}).status_code == 201

    refused = invite(client, crew, {"email": "b@example.com"})

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert refused["Retry-After"]
    assert invite(client_for(crew.moderator), crew, {"email": "b@example.com"}).status_code == 201


def test_one_address_gets_few_invitation_emails_whoever_invites(
    crew, client_for, settings, django_capture_on_commit_callbacks
) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_INVITE_ADDRESS = "1/d"
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(client_for(crew.admin), crew, {"email": "stranger@example.com"})
        second = invite(client_for(crew.moderator), crew, {"email": "stranger@example.com"})

    assert first.status_code == second.status_code == 201
    assert len(mail.outbox) == 1
