"""Live delivery of domain events.

Every signal here is sent by a service after its transaction committed, so
these receivers publish at once; publishing is bounded and never raises.
Connected in :class:`realtime.apps.RealtimeConfig`.
"""

from typing import Any
from uuid import UUID

from django.dispatch import receiver

from accounts.models import User
from checkins import signals as checkin_signals
from checkins.models import CheckIn
from checkins.selectors import visible_score
from groups import signals as group_signals
from groups.models import Group, GroupMembership
from groups.selectors import group_member_ids

from . import events
from .publish import event_message, publish_many, publish_to_room, send_leave_room, user_group


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def friend_checked_in_sends(check_in: CheckIn, *, updated: bool) -> list[tuple[str, dict[str, Any]]]:
    """One message per other active member, each with the score as that member may see it.

    Members who see the same score share one message.
    """
    messages: dict[int | None, dict[str, Any]] = {}
    sends = []
    for member_id in group_member_ids(group_id=check_in.group_id):
        if member_id == check_in.user_id:
            continue
        score = visible_score(check_in, viewer_id=member_id)
        if score not in messages:
            event = events.friend_checked_in(
                user_id=check_in.user_id,
                username=check_in.user.username,
                group_id=check_in.group_id,
                check_in_id=check_in.pk,
                hu_cares_score=score,
                timestamp=check_in.updated_at if updated else check_in.submitted_at,
                updated=updated,
            )
            messages[score] = event_message(event)
        sends.append((user_group(member_id), messages[score]))
    return sends


@receiver(checkin_signals.checkin_submitted, dispatch_uid="realtime.checkin_submitted")
def on_checkin_submitted(sender: Any, *, check_in: CheckIn, **kwargs: Any) -> None:
    publish_many(friend_checked_in_sends(check_in, updated=False))


@receiver(checkin_signals.checkin_updated, dispatch_uid="realtime.checkin_updated")
def on_checkin_updated(sender: Any, *, check_in: CheckIn, **kwargs: Any) -> None:
    publish_many(friend_checked_in_sends(check_in, updated=True))


def _member(user: User) -> dict[str, Any]:
    return {"userId": str(user.pk), "username": user.username}


def _group_updated(group_id: UUID, type: str, data: dict[str, Any]) -> None:
    publish_to_room(group_id, events.group_updated(group_id=group_id, type=type, data=data))


@receiver(group_signals.member_joined, dispatch_uid="realtime.member_joined")
def on_member_joined(sender: Any, *, group: Group, membership: GroupMembership, **kwargs: Any) -> None:
    _group_updated(group.pk, "member-joined", {**_member(membership.user), "role": membership.role})


@receiver(group_signals.member_left, dispatch_uid="realtime.member_left")
def on_member_left(sender: Any, *, group: Group, user: User, **kwargs: Any) -> None:
    # The leaver's other sockets leave the room too.
    send_leave_room(user.pk, group.pk)
    _group_updated(group.pk, "member-left", _member(user))


@receiver(group_signals.member_removed, dispatch_uid="realtime.member_removed")
def on_member_removed(sender: Any, *, group: Group, user: User, banned: bool, **kwargs: Any) -> None:
    event = events.group_updated(group_id=group.pk, type="member-removed", data={**_member(user), "banned": banned})
    # First out of the room, then the room hears about it: the removed
    # member gets this one event on their own stream and nothing after it.
    send_leave_room(user.pk, group.pk, event=event)
    publish_to_room(group.pk, event)


@receiver(group_signals.role_changed, dispatch_uid="realtime.role_changed")
def on_role_changed(sender: Any, *, group: Group, membership: GroupMembership, old_role: str, **kwargs: Any) -> None:
    data = {**_member(membership.user), "role": membership.role, "oldRole": old_role}
    _group_updated(group.pk, "role-changed", data)


@receiver(group_signals.group_settings_changed, dispatch_uid="realtime.group_settings_changed")
def on_group_settings_changed(sender: Any, *, group: Group, changed: list[str], **kwargs: Any) -> None:
    _group_updated(group.pk, "settings-changed", {"changed": [_camel(name) for name in changed]})


@receiver(group_signals.group_deleted, dispatch_uid="realtime.group_deleted")
def on_group_deleted(sender: Any, *, group_id: UUID, group_name: str, **kwargs: Any) -> None:
    # Sockets drop the room when they see this event (consumer).
    _group_updated(group_id, "group-deleted", {"groupName": group_name})
