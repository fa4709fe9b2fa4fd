"""What check-ins do when something below them changes."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import account_deleting

from .services import checkins_delete_for_user


@receiver(account_deleting, dispatch_uid="checkins.account_deleting")
def delete_checkins_of_deleted_account(sender: Any, *, user: User, **kwargs: Any) -> None:
    # Through the service, so the groups' check-in totals and cached periods stay right.
    checkins_delete_for_user(user=user)
