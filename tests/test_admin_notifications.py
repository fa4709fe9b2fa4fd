"""Moderators review notifications in the admin; open sockets are listed read-only."""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from notifications.tests.factories import NotificationFactory
from realtime.models import UserSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator() -> User:
    user = UserFactory.create(is_staff=True)
    user.groups.add(AuthGroup.objects.get(name="Moderators"))
    return user


def test_moderator_can_list_and_search_notifications_but_not_change_them(moderator: User) -> None:
    NotificationFactory.create(title="Ada joined Sunday crew")
    client = Client()
    client.force_login(moderator)

    listing = client.get("/admin/notifications/notification/?q=Sunday")

    assert listing.status_code == 200
    assert "Ada joined Sunday crew" in listing.content.decode()
    assert client.get("/admin/notifications/notification/add/").status_code == 403


def test_superuser_sees_open_sockets_read_only(user: User) -> None:
    admin_user = UserFactory.create(is_staff=True, is_superuser=True)
    UserSession.objects.create(user=user, socket_id="specific.abc", user_agent="TestBrowser/1")
    client = Client()
    client.force_login(admin_user)

    assert "TestBrowser/1" in client.get("/admin/realtime/usersession/").content.decode()
    assert client.get("/admin/realtime/usersession/add/").status_code == 403
