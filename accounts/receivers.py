"""Keep the cached user rows of token checks in step with the database; queue the account emails."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import signals, tasks
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


@receiver(signals.verification_email_requested, dispatch_uid="accounts.queue_verification_email")
def queue_verification_email(sender: Any, *, user_id: str, **kwargs: Any) -> None:
    transaction.on_commit(lambda: tasks.send_verification_email.delay(user_id))


@receiver(signals.password_reset_requested, dispatch_uid="accounts.queue_password_reset_email")
def queue_password_reset_email(sender: Any, *, user_id: str, **kwargs: Any) -> None:
    transaction.on_commit(lambda: tasks.send_password_reset_email.delay(user_id))
