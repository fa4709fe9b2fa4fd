"""Keep the cached user rows of token checks in step with the database."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import User
from .tokens import forget_user


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_saved_user")
@receiver(post_delete, sender=User, dispatch_uid="accounts.forget_deleted_user")
def forget_changed_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Now, and again after commit: a request between the two could have cached
    # the row as it was before this transaction.
    user_id = instance.pk
    forget_user(user_id)
    transaction.on_commit(lambda: forget_user(user_id))
