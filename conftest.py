"""Fixtures shared by every app's tests and the cross-app tests in tests/."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The cache is Redis in tests: rate-limit counters and cached reads must
    # not leak from one test into the next.
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def client_for(db: None) -> Callable[[User], APIClient]:
    """An API client authenticated as the given user."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def user_client(user: User, client_for: Callable[[User], APIClient]) -> APIClient:
    return client_for(user)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every (channel-layer group, message) handed to the layer, in order, instead of sending it.

    Sync publishes (``send_soon``) are recorded when they are handed off, so a
    test sees them as soon as the on-commit callback ran.
    """
    sent: list[tuple[str, dict[str, Any]]] = []

    async def record(sends: list[tuple[str, dict[str, Any]]]) -> None:
        sent.extend(sends)

    monkeypatch.setattr("streams.publish.deliver", record)
    monkeypatch.setattr("streams.publish.send_soon", lambda sends: sent.extend(sends))
    return sent


@pytest.fixture
def superuser_client(db: None) -> Any:
    """A Django test client signed in to the admin as a superuser."""
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_superuser(email="root@example.com", username="root", password="x"))
    return client


@pytest.fixture
def moderator(db: None) -> User:
    """A staff user in the ``Moderators`` group (not a superuser)."""
    from django.contrib.auth.models import Group as AuthGroup

    user = UserFactory.create(is_staff=True)
    user.groups.add(AuthGroup.objects.get(name="Moderators"))
    return user


@pytest.fixture
def moderator_client(moderator: User) -> Any:
    """A Django test client signed in to the admin as ``moderator``."""
    from django.test import Client

    client = Client()
    client.force_login(moderator)
    return client
