"""Moderators suspend a user (signed out everywhere, sign-in refused with ACCOUNT_SUSPENDED) and lift it."""

import pytest
from django.contrib.admin.models import LogEntry
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SUSPENSIONS = "/admin/accounts/suspension/"


def login(user: User, password: str = DEFAULT_PASSWORD):
    return APIClient().post("/api/v1/auth/login", {"email": user.email, "password": password}, format="json")


def act(client, action: str, user: User):
    return client.post(SUSPENSIONS, {"action": action, "_selected_action": [str(user.pk)]})


def test_suspending_signs_the_user_out_everywhere_and_refuses_sign_in(moderator, moderator_client):
    user = UserFactory.create()
    tokens = login(user).json()["data"]
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['accessToken']}")
    assert api.get("/api/v1/users/profile").status_code == 200

    assert act(moderator_client, "suspend", user).status_code == 302

    assert api.get("/api/v1/users/profile").status_code == 401
    refresh = APIClient().post("/api/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}, format="json")
    assert refresh.status_code == 401
    assert not AuthSession.objects.filter(user=user, revoked_at__isnull=True).exists()
    refused = login(user)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ACCOUNT_SUSPENDED")
    # Only the right password learns of the suspension.
    wrong = login(user, "Wrong-password-1")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "INVALID_CREDENTIALS")
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert (entry.user_id, entry.get_change_message()) == (moderator.pk, "Suspended the user and ended their sessions.")


def test_lifting_a_suspension_lets_the_user_sign_in_again(moderator_client):
    user = UserFactory.create()
    act(moderator_client, "suspend", user)
    assert login(user).status_code == 403
    act(moderator_client, "lift_suspension", user)
    assert User.objects.get(pk=user.pk).suspended_at is None
    assert login(user).status_code == 200
    assert LogEntry.objects.filter(object_id=str(user.pk)).count() == 2


def test_moderators_see_names_and_suspension_only(moderator_client):
    user = UserFactory.create(username="suspect")
    content = moderator_client.get(SUSPENSIONS).content
    assert b"suspect" in content
    assert user.email.encode() not in content
    detail = moderator_client.get(f"{SUSPENSIONS}{user.pk}/change/").content
    assert user.email.encode() not in detail
    assert b'name="password"' not in detail
    assert moderator_client.get("/admin/accounts/user/").status_code == 403
