"""Admin actions behind permissions, logged; nobody acts on equal or higher rights; a suspension ends admin access."""

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
SUSPENSIONS = "/admin/accounts/suspension/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_with(*codenames: str) -> User:
    staff = UserFactory.create(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))
    return User.objects.get(pk=staff.pk)  # a fresh row: permissions are cached on the instance


def act(client: Client, path: str, action: str, *users: User) -> Any:
    return client.post(path, {"action": action, "_selected_action": [str(user.pk) for user in users]}, follow=True)


@pytest.mark.parametrize("action", ["deactivate", "resend_verification"])
def test_a_view_only_staff_user_cannot_run_account_actions(action: str) -> None:
    viewer = staff_with("view_user")
    target = UserFactory.create(email_verified=False)

    response = act(signed_in(viewer), USERS, action, target)

    assert User.objects.get(pk=target.pk).is_active is True
    assert action not in response.content.decode()  # not even offered
    assert not LogEntry.objects.exists()


def test_deactivating_needs_its_permission_and_is_logged() -> None:
    admin = staff_with("view_user", "deactivate_user")
    target = UserFactory.create()

    act(signed_in(admin), USERS, "deactivate", target)

    assert User.objects.get(pk=target.pk).is_active is False
    entry = LogEntry.objects.get(object_id=str(target.pk))
    assert (entry.user_id, entry.get_change_message()) == (admin.pk, "Deactivated the user and ended their sessions.")


def test_resending_verification_is_logged() -> None:
    admin = staff_with("view_user", "resend_verification_user")
    target = UserFactory.create(email_verified=False)

    act(signed_in(admin), USERS, "resend_verification", target)

    assert LogEntry.objects.get(object_id=str(target.pk)).get_change_message() == "Queued a verification email."


def test_nobody_acts_on_equal_or_higher_rights() -> None:
    admin = staff_with("view_user", "deactivate_user")
    other_staff = UserFactory.create(is_staff=True)
    superuser = UserFactory.create(is_staff=True, is_superuser=True)
    plain = UserFactory.create()

    response = act(signed_in(admin), USERS, "deactivate", other_staff, superuser, plain, admin)

    active = dict(User.objects.values_list("username", "is_active"))
    assert [active[u.username] for u in (other_staff, superuser, admin)] == [True, True, True]
    assert active[plain.username] is False
    assert "Left alone (equal or higher rights)" in response.content.decode()
    assert LogEntry.objects.count() == 1


def test_a_superuser_cannot_deactivate_another_superuser() -> None:
    root = UserFactory.create(is_staff=True, is_superuser=True)
    other_root = UserFactory.create(is_staff=True, is_superuser=True)

    act(signed_in(root), USERS, "deactivate", other_root)

    assert User.objects.get(pk=other_root.pk).is_active is True


def test_moderators_cannot_suspend_staff_or_superusers(moderator: User, moderator_client: Client) -> None:
    staff = UserFactory.create(is_staff=True)
    superuser = UserFactory.create(is_staff=True, is_superuser=True)
    plain = UserFactory.create()

    act(moderator_client, SUSPENSIONS, "suspend", staff, superuser, plain)

    suspended = set(User.objects.filter(suspended_at__isnull=False).values_list("pk", flat=True))
    assert suspended == {plain.pk}


def test_a_suspended_moderator_loses_the_admin(moderator: User, moderator_client: Client) -> None:
    assert moderator_client.get(SUSPENSIONS).status_code == 200
    root = UserFactory.create(is_staff=True, is_superuser=True)

    act(signed_in(root), SUSPENSIONS, "suspend", moderator)

    # The open admin session ends at the next request, and signing in again is refused.
    assert moderator_client.get(SUSPENSIONS).status_code == 302
    again = Client().post(
        "/admin/login/?next=/admin/",
        {"username": moderator.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="127.0.0.1",
    )
    assert again.status_code == 200  # the form again, not the redirect into the admin
    assert "_auth_user_id" not in again.wsgi_request.session
