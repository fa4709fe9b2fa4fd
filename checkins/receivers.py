"""What check-ins do when something below them changes, and the count of check-ins submitted."""

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from accounts.models import User
from accounts.signals import account_deleting
from hucares.core.metrics import CHECKINS_TOTAL

from .models import CheckIn
from .services import checkins_delete_for_user
from .signals import checkin_submitted


@receiver(account_deleting, dispatch_uid="checkins.account_deleting")
def delete_checkins_of_deleted_account(sender: Any, *, user: User, **kwargs: Any) -> None:
    # Through the service, so the groups' check-in totals and cached periods stay right.
    checkins_delete_for_user(user=user)


@receiver(checkin_submitted, dispatch_uid="checkins.count_submitted")
def count_submitted_checkin(sender: Any, *, check_in: CheckIn, **kwargs: Any) -> None:
    # Counted once it commits: a check-in rolled back was never submitted.
    transaction.on_commit(CHECKINS_TOTAL.inc)
