"""Errors of the real-time layer's HTTP endpoints (part of the one error table)."""

from hucares.core.errors import ApplicationError


class ResyncRequired(ApplicationError):
    code = "RESYNC_REQUIRED"
    status = 410
    message = "Events after this cursor are no longer kept; refetch, then continue from details.cursor."


class NotAuthenticated(ApplicationError):
    """No credentials on a request the real-time layer serves outside DRF (DRF's own answer there)."""

    code = "NOT_AUTHENTICATED"
    status = 401
    message = "Authentication credentials were not provided."
