"""Keep cached check-in rows honest when something outside this app changes them."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from groups.selectors import user_group_ids

from .cache import invalidate_group_checkins


@receiver(post_save, sender=User, dispatch_uid="checkins.privacy_settings_changed")
def forget_cached_rows_on_privacy_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Cached rows carry the owner's privacy settings: a change must drop them at once.
    Saves that name their fields and leave ``privacy_settings`` out (logins, activity) cost nothing."""
    update_fields = kwargs.get("update_fields")
    if kwargs.get("created") or (update_fields is not None and "privacy_settings" not in update_fields):
        return
    for group_id in user_group_ids(user=instance):
        invalidate_group_checkins(group_id)
