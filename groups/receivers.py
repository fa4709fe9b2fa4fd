"""Cache invalidation that must follow every write, whichever code path made it (services, admin, cascades).

Connected in :class:`groups.apps.GroupsConfig`. A group's scope versions every
cached read about it (the row, roles, its check-ins, its analytics); a
member's scope versions reads of their own figures.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.signals import account_deleting
from hucares.core import cache

from .cache import group_scope, user_scope
from .models import Group, GroupMembership, MembershipStatus
from .services import group_leave

# Saves of a user that change what others' cached reads show of them.
USER_FIELDS_IN_GROUP_READS = frozenset({"privacy_settings", "timezone"})


@receiver([post_save, post_delete], sender=GroupMembership, dispatch_uid="groups.membership_cache")
def on_membership_written(sender: Any, instance: GroupMembership, **kwargs: Any) -> None:
    cache.bump(group_scope(instance.group_id), user_scope(instance.user_id))


@receiver([post_save, post_delete], sender=Group, dispatch_uid="groups.group_cache")
def on_group_written(sender: Any, instance: Group, **kwargs: Any) -> None:
    cache.bump(group_scope(instance.pk))


@receiver(post_save, sender=User, dispatch_uid="groups.user_shown_in_groups")
def on_user_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Cached rows and figures carry each owner's privacy settings and timezone: a change drops them.

    Saves that name their fields and leave both out (logins, activity) cost nothing.
    """
    update_fields = kwargs.get("update_fields")
    if kwargs.get("created") or (update_fields is not None and not USER_FIELDS_IN_GROUP_READS & set(update_fields)):
        return
    group_ids = GroupMembership.objects.filter(user_id=instance.pk).values_list("group_id", flat=True)
    cache.bump(user_scope(instance.pk), *(group_scope(group_id) for group_id in group_ids))


@receiver(account_deleting, dispatch_uid="groups.account_deleting")
def leave_groups_of_deleted_account(sender: Any, *, user: User, **kwargs: Any) -> None:
    """The deleted user leaves every group through the service: admin roles are handed over, events sent."""
    memberships = GroupMembership.objects.filter(user=user, status=MembershipStatus.ACTIVE).select_related("group")
    for membership in memberships:
        group_leave(group=membership.group, user=user)
