"""Domain events into the users' streams.

Every signal here is sent by a service inside the transaction of its change.
Each receiver appends its events to the streams of the users they are for in
that transaction, so a committed change always has its events; the users'
listeners are woken once it commits (:mod:`streams.services`).
Connected in :class:`streams.apps.StreamsConfig`.
"""

from datetime import date
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts import signals as account_signals
from accounts.models import User
from checkins import signals as checkin_signals
from checkins.models import CheckIn
from checkins.selectors import visible_score
from groups import signals as group_signals
from groups.models import Group, GroupMembership
from groups.selectors import group_member_ids

from . import events
from .services import stream_deliver, stream_drop


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


Delivery = tuple[UUID, events.Frame]


def friend_checked_in_deliveries(check_in: CheckIn, *, updated: bool) -> list[Delivery]:
    """``friend-checked-in`` to each other active member, with the score as that member may see it,
    and ``checkin-created`` / ``checkin-updated`` to the author's own other devices."""
    deliveries: list[Delivery] = []
    for member_id in group_member_ids(group_id=check_in.group_id):
        if member_id == check_in.user_id:
            continue
        event = events.friend_checked_in(
            user_id=check_in.user_id,
            username=check_in.user.username,
            group_id=check_in.group_id,
            check_in_id=check_in.pk,
            hu_cares_score=visible_score(check_in, viewer_id=member_id),
            timestamp=check_in.updated_at if updated else check_in.submitted_at,
            updated=updated,
        )
        deliveries.append((member_id, event))
    own = events.checkin_updated if updated else events.checkin_created
    deliveries.append(
        (
            check_in.user_id,
            own(
                check_in_id=check_in.pk,
                group_id=check_in.group_id,
                week_start_date=check_in.week_start_date,
                hu_cares_score=check_in.hu_cares_score,
            ),
        )
    )
    return deliveries


@receiver(checkin_signals.checkin_submitted, dispatch_uid="streams.checkin_submitted")
def on_checkin_submitted(sender: Any, *, check_in: CheckIn, **kwargs: Any) -> None:
    stream_deliver(deliveries=friend_checked_in_deliveries(check_in, updated=False))


@receiver(checkin_signals.checkin_updated, dispatch_uid="streams.checkin_updated")
def on_checkin_updated(sender: Any, *, check_in: CheckIn, **kwargs: Any) -> None:
    stream_deliver(deliveries=friend_checked_in_deliveries(check_in, updated=True))


@receiver(checkin_signals.checkin_deleted, dispatch_uid="streams.checkin_deleted")
def on_checkin_deleted(
    sender: Any, *, check_in_id: UUID, user_id: UUID, group_id: UUID, week_start_date: date, **kwargs: Any
) -> None:
    """The author's devices drop it; the members who were told about it (the active ones) too."""
    gone = events.friend_checkin_deleted(user_id=user_id, group_id=group_id, check_in_id=check_in_id)
    deliveries: list[Delivery] = [
        (member_id, gone) for member_id in group_member_ids(group_id=group_id) if member_id != user_id
    ]
    own = events.checkin_deleted(check_in_id=check_in_id, group_id=group_id, week_start_date=week_start_date)
    deliveries.append((user_id, own))
    stream_deliver(deliveries=deliveries)


@receiver(account_signals.profile_updated, dispatch_uid="streams.profile_updated")
def on_profile_updated(sender: Any, *, user_id: UUID, changed: list[str], **kwargs: Any) -> None:
    stream_deliver(deliveries=[(user_id, events.profile_updated(changed=[_camel(name) for name in changed]))])


def _member(user: User) -> dict[str, Any]:
    return {"userId": str(user.pk), "username": user.username}


def _group_updated(group_id: UUID, type: str, data: dict[str, Any], *, also: UUID | None = None) -> None:
    """``group-updated`` to every active member's stream (and ``also``, a member who just left).

    Members' streams rather than the room: the event is kept for resume, and a
    member's devices that never opened the group hear about it too.
    """
    event = events.group_updated(group_id=group_id, type=type, data=data)
    audience = set(group_member_ids(group_id=group_id))
    if also is not None:
        audience.add(also)
    stream_deliver(deliveries=[(member_id, event) for member_id in sorted(audience)])


@receiver(group_signals.member_joined, dispatch_uid="streams.member_joined")
def on_member_joined(sender: Any, *, group: Group, membership: GroupMembership, **kwargs: Any) -> None:
    _group_updated(group.pk, "member-joined", {**_member(membership.user), "role": membership.role})


@receiver(group_signals.member_left, dispatch_uid="streams.member_left")
def on_member_left(sender: Any, *, group: Group, user: User, **kwargs: Any) -> None:
    _group_updated(group.pk, "member-left", _member(user), also=user.pk)


@receiver(group_signals.member_removed, dispatch_uid="streams.member_removed")
def on_member_removed(sender: Any, *, group: Group, user: User, banned: bool, **kwargs: Any) -> None:
    _group_updated(group.pk, "member-removed", {**_member(user), "banned": banned}, also=user.pk)


@receiver(group_signals.role_changed, dispatch_uid="streams.role_changed")
def on_role_changed(sender: Any, *, group: Group, membership: GroupMembership, old_role: str, **kwargs: Any) -> None:
    data = {**_member(membership.user), "role": membership.role, "oldRole": old_role}
    _group_updated(group.pk, "role-changed", data)


@receiver(group_signals.group_settings_changed, dispatch_uid="streams.group_settings_changed")
def on_group_settings_changed(sender: Any, *, group: Group, changed: list[str], **kwargs: Any) -> None:
    _group_updated(group.pk, "settings-changed", {"changed": [_camel(name) for name in changed]})


@receiver(group_signals.group_deleted, dispatch_uid="streams.group_deleted")
def on_group_deleted(sender: Any, *, group_id: UUID, group_name: str, member_ids: list[UUID], **kwargs: Any) -> None:
    # The group's memberships are gone with it: its former members are the audience.
    # Sockets drop the room when they read this event (realtime's consumer).
    event = events.group_updated(group_id=group_id, type="group-deleted", data={"groupName": group_name})
    stream_deliver(deliveries=[(UUID(str(member_id)), event) for member_id in member_ids])


@receiver(post_delete, sender=User, dispatch_uid="streams.user_deleted")
def on_user_deleted(sender: Any, *, instance: User, **kwargs: Any) -> None:
    # After commit: the deletion's own transaction may still append (groups it left).
    user_id = instance.pk
    transaction.on_commit(lambda: stream_drop(user_id=user_id))
