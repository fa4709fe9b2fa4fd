"""Reads the real-time layer needs of its own rows (groups are read through ``groups.selectors``)."""

from datetime import datetime

from django.db.models import QuerySet

from .models import UserSession


def stale_sessions(*, before: datetime) -> QuerySet[UserSession]:
    """Sockets whose last recorded heartbeat is older than ``before``."""
    return UserSession.objects.filter(last_heartbeat__lt=before)
