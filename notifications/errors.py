"""Domain errors of notifications."""

from hucares.core.errors import NotFound


class NotificationNotFound(NotFound):
    """Unknown, expired, or someone else's notification: all look the same."""

    message = "Notification not found."
