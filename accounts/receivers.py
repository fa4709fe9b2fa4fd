"""Cached user rows and session states kept in step with the database; admin sign-in failures logged."""

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from hucares.core.cache import guarded
from hucares.core.ratelimit import client_ip
from hucares.core.security import ADMIN_LOGIN_FAILED, security_event

from .models import AuthSession, User, normalize_email
from .tokens import forget_user, revoke_access


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_saved_user")
@receiver(post_delete, sender=User, dispatch_uid="accounts.forget_deleted_user")
def forget_changed_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Now, and again after commit: a request between the two could have cached
    # the row as it was before this transaction.
    # With Redis down nothing is cached and there is nothing to forget: the
    # change itself must still be saved.
    user_id = instance.pk
    guarded(None, lambda: forget_user(user_id))
    transaction.on_commit(lambda: guarded(None, lambda: forget_user(user_id)))


@receiver(post_delete, sender=AuthSession, dispatch_uid="accounts.revoke_deleted_session")
def revoke_deleted_session(sender: type[AuthSession], instance: AuthSession, **kwargs: Any) -> None:
    # A token is honoured only while its session row exists: a cached "live"
    # must not outlast the row.
    revoke_access(sids=[str(instance.pk)])


@receiver(user_login_failed, dispatch_uid="accounts.log_admin_login_failure")
def log_admin_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Only the admin signs in through ``django.contrib.auth.authenticate``; the API counts its own failures."""
    typed = credentials.get("username") or credentials.get("email") or ""
    user_id = User.objects.filter(email__iexact=normalize_email(str(typed))).values_list("pk", flat=True).first()
    security_event(
        ADMIN_LOGIN_FAILED,
        user_id=user_id,
        client_ip=client_ip(request) if request is not None else None,
        known_account=user_id is not None,
    )
