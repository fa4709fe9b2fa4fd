"""Invalidate cached analytics when the data under them changes.

Check-in writes bump the writer's and the group's version; membership and
group changes bump the group's; a user save (privacy settings, timezone)
bumps the user's and every group they belong to, because a member switching
``privacySettings.scores`` changes what the others' averages may contain.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from checkins.signals import checkin_deleted, checkin_submitted, checkin_updated
from groups import signals as group_signals
from groups.models import GroupMembership

from .cache import bump_many


@receiver(checkin_submitted)
@receiver(checkin_updated)
def _checkin_written(sender: Any, check_in: Any, **kwargs: Any) -> None:
    bump_many(user_ids=[check_in.user_id], group_ids=[check_in.group_id])


@receiver(checkin_deleted)
def _checkin_deleted(sender: Any, user_id: Any, group_id: Any, **kwargs: Any) -> None:
    bump_many(user_ids=[user_id], group_ids=[group_id])


@receiver(group_signals.member_joined)
@receiver(group_signals.member_left)
@receiver(group_signals.member_removed)
@receiver(group_signals.role_changed)
@receiver(group_signals.group_settings_changed)
def _group_changed(sender: Any, group: Any, **kwargs: Any) -> None:
    users = [kwargs["user"].id] if kwargs.get("user") is not None else []
    bump_many(user_ids=users, group_ids=[group.id])


@receiver(group_signals.group_deleted)
def _group_deleted(sender: Any, group_id: Any, member_ids: Any = (), **kwargs: Any) -> None:
    bump_many(user_ids=member_ids, group_ids=[group_id])


@receiver(post_save, sender=User)
def _user_saved(sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if created or (update_fields is not None and not {"privacy_settings", "timezone"} & set(update_fields)):
        return
    user_id = instance.id

    def bump() -> None:
        groups = GroupMembership.objects.filter(user_id=user_id).values_list("group_id", flat=True)
        bump_many(user_ids=[user_id], group_ids=list(groups))

    transaction.on_commit(bump)
