"""Defaults of the JSON preferences stored on each user."""

from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def default_notification_preferences() -> dict[str, Any]:
    return {
        "friendCheckIn": True,
        "groupInvitation": True,
        "memberJoined": True,
        "weeklyReminder": True,
        "reminderDay": "sunday",
        "reminderHour": 18,
        "email": {"weeklyReminder": True, "groupInvitation": True},
    }


def default_privacy_settings() -> dict[str, str]:
    return {"profile": "friends", "scores": "group"}
