"""Notifications for group and check-in events.

A check-in's are written by :func:`notify_friend_check_in` inside the
check-in's own transaction. The others are run by Celery tasks off the
request path: each such function takes ids and an ``event_id`` chosen once by
the receiver that queued it, so a retried task builds the same ``dedupe_key``
and creates nothing twice. Preferences and
``membership.notification_enabled`` decide who receives what:

- ``friend_check_in``: other members with ``friendCheckIn``;
- ``member_joined`` / ``member_left``: other members with ``memberJoined``;
- ``role_changed``: the member whose role changed (unless they did it);
- ``group_deleted``: every former member but the one who deleted it;
- ``group_invitation``: the invitee with ``groupInvitation``, and an email
  with ``email.groupInvitation``.
"""

from typing import Any
from uuid import UUID

from django.db import transaction

from accounts.models import User
from checkins.models import CheckIn
from groups.models import Group, GroupMembership
from hucares.core.outbox import email_enqueue

from .emails import GROUP_INVITATION
from .models import Notification, NotificationType
from .selectors import email_preference, group_recipient_ids, group_recipients, preference
from .services import Draft, notifications_create, notifications_create_for_each


def _group_data(group: Group, **extra: Any) -> dict[str, Any]:
    return {"groupId": str(group.pk), "groupName": group.name, **extra}


def notify_friend_check_in(*, check_in: CheckIn) -> int:
    """Called for ``checkin_submitted`` inside the check-in's transaction, ``user`` and ``group`` loaded:
    the notifications commit or roll back with the check-in, and no task is queued per check-in (a Celery
    round trip per check-in cost more CPU than the insert itself; docs/performance.md)."""
    author, group = check_in.user, check_in.group
    return notifications_create_for_each(
        recipients=group_recipients(group_id=group.pk, exclude_user_id=author.pk, pref="friendCheckIn"),
        # The key names a check-in made in this very transaction: no notification can have it yet.
        dedupe_key=f"checkin:{check_in.pk}",
        type=NotificationType.FRIEND_CHECK_IN,
        title=f"{author.username} checked in",
        message=f"{author.username} checked in to {group.name}.",
        data=_group_data(group, userId=str(author.pk), username=author.username, checkInId=str(check_in.pk)),
    )


def notify_membership_change(*, group_id: UUID | str, user_id: UUID | str, joined: bool, event_id: str) -> int:
    """``member_joined`` or ``member_left`` to the group's other members."""
    group = Group.objects.filter(pk=group_id).first()
    member = User.objects.filter(pk=user_id).first()
    if group is None or member is None:
        return 0
    kind = NotificationType.MEMBER_JOINED if joined else NotificationType.MEMBER_LEFT
    verb = "joined" if joined else "left"
    drafts = [
        Draft(
            user_id=user_id,
            dedupe_key=f"{kind}:{event_id}",
            type=kind,
            title=f"{member.username} {verb} {group.name}",
            message=f"{member.username} {verb} your group {group.name}.",
            data=_group_data(group, userId=str(member.pk), username=member.username),
        )
        for user_id in group_recipient_ids(group_id=group.pk, exclude_user_id=member.pk, pref="memberJoined")
    ]
    return len(notifications_create(drafts=drafts))


def notify_role_changed(*, membership_id: UUID | str, old_role: str, by_id: UUID | str | None, event_id: str) -> int:
    membership = GroupMembership.objects.select_related("group").filter(pk=membership_id).first()
    if membership is None or not membership.notification_enabled or str(membership.user_id) == str(by_id):
        return 0
    group = membership.group
    draft = Draft(
        user_id=membership.user_id,
        dedupe_key=f"{NotificationType.ROLE_CHANGED}:{event_id}",
        type=NotificationType.ROLE_CHANGED,
        title=f"Your role in {group.name} changed",
        message=f"You are now {membership.role} in {group.name}.",
        data=_group_data(group, role=membership.role, oldRole=old_role),
    )
    return len(notifications_create(drafts=[draft]))


def notify_group_deleted(
    *, group_id: UUID | str, group_name: str, member_ids: list[str], by_id: UUID | str | None, event_id: str
) -> int:
    drafts = [
        Draft(
            user_id=UUID(str(member_id)),
            dedupe_key=f"{NotificationType.GROUP_DELETED}:{event_id}",
            type=NotificationType.GROUP_DELETED,
            title=f"{group_name} was deleted",
            message=f"The group {group_name} was deleted by its admin.",
            data={"groupId": str(group_id), "groupName": group_name},
        )
        for member_id in member_ids
        if str(member_id) != str(by_id)
    ]
    existing = set(User.objects.filter(pk__in=[d.user_id for d in drafts], is_active=True).values_list("pk", flat=True))
    return len(notifications_create(drafts=[d for d in drafts if d.user_id in existing]))


def notify_group_invitation(*, group_id: UUID | str, invitee_id: UUID | str, by_id: UUID | str, event_id: str) -> int:
    """The invitation carries the group's id, name and access code."""
    group = Group.objects.filter(pk=group_id, is_active=True).first()
    invitee = User.objects.filter(pk=invitee_id, is_active=True).first()
    by = User.objects.filter(pk=by_id).first()
    if group is None or invitee is None:
        return 0
    by_name = by.username if by else "Someone"
    created: list[Notification] = []
    with transaction.atomic():
        if preference(invitee, "groupInvitation"):
            draft = Draft(
                user_id=invitee.pk,
                dedupe_key=f"{NotificationType.GROUP_INVITATION}:{event_id}",
                type=NotificationType.GROUP_INVITATION,
                title=f"Invitation to {group.name}",
                message=f"{by_name} invited you to join {group.name}. Your access code: {group.access_code}.",
                data=_group_data(group, accessCode=group.access_code, invitedBy=by_name),
            )
            created = notifications_create(drafts=[draft])
        if email_preference(invitee, "groupInvitation"):
            # The key makes a retried task's email a no-op: it was written the first time.
            email_enqueue(
                kind=GROUP_INVITATION,
                user=invitee,
                params={
                    "groupName": group.name,
                    "accessCode": group.access_code,
                    "invitedBy": by_name,
                    # Whose delivery the email records (notifications.delivery).
                    "notificationIds": [str(n.pk) for n in created],
                },
                dedupe_key=f"{GROUP_INVITATION}:{event_id}",
            )
    return len(created)


def invite_address(*, group_id: UUID | str, email: str, by_id: UUID | str) -> bool:
    """Email an invitation to register to ``email``, if it still has no account; whether one went out."""
    group = Group.objects.filter(pk=group_id, is_active=True).first()
    by = User.objects.filter(pk=by_id).first()
    if group is None:
        return False
    if User.objects.filter(email__iexact=email).exists():
        return False
    by_name = by.username if by else "Someone"
    email_enqueue(
        kind=GROUP_INVITATION,
        to_address=email,
        params={"groupName": group.name, "accessCode": group.access_code, "invitedBy": by_name},
    )
    return True
