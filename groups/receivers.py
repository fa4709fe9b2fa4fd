"""Cache invalidation that must follow every write, whichever code path made it (services, admin, cascades).

Connected in :class:`groups.apps.GroupsConfig`.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .cache import invalidate_group, invalidate_role
from .models import Group, GroupMembership


@receiver([post_save, post_delete], sender=GroupMembership, dispatch_uid="groups.membership_role_cache")
def on_membership_written(sender: Any, instance: GroupMembership, **kwargs: Any) -> None:
    invalidate_role(instance.group_id, instance.user_id)


@receiver([post_save, post_delete], sender=Group, dispatch_uid="groups.group_cache")
def on_group_written(sender: Any, instance: Group, **kwargs: Any) -> None:
    invalidate_group(instance.pk)
