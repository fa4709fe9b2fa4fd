"""Reads of accounts."""

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from hucares.core.db import json_key_is

from .models import AuthSession, User

SEARCH_MIN_LENGTH = 2
SEARCH_MAX_RESULTS = 20


def user_search(*, query: str, viewer: User) -> QuerySet[User]:
    """Active users whose username starts with ``query``, case-insensitively.

    ``LOWER(username) LIKE 'q%'`` is served by the index
    ``users_username_prefix_idx``. Users whose ``privacySettings.profile`` is
    ``private`` are not findable, nor is the viewer.
    """
    return (
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__startswith=query.lower(), is_active=True)
        .exclude(pk=viewer.pk)
        .exclude(json_key_is("privacy_settings", "profile", "private"))
        .order_by("username_lower")
    )


def user_sessions(*, user: User) -> QuerySet[AuthSession]:
    """The sessions of ``user`` that can still be used, most recently used first."""
    return AuthSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by(
        "-last_used_at", "-created_at"
    )
