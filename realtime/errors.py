"""Errors of the real-time layer: its HTTP endpoints' (part of the one error table) and Redis being down."""

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hucares.core.errors import ApplicationError

# What a socket meets while Redis is down: refused or timed-out connections.
REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
UNAVAILABLE_MESSAGE = "Live service temporarily unavailable; retry shortly."


class ResyncRequired(ApplicationError):
    code = "RESYNC_REQUIRED"
    status = 410
    message = "Events after this cursor are no longer kept; refetch, then continue from details.cursor."


class NotAuthenticated(ApplicationError):
    """No credentials on a request the real-time layer serves outside DRF (DRF's own answer there)."""

    code = "NOT_AUTHENTICATED"
    status = 401
    message = "Authentication credentials were not provided."
