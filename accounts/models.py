import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now

from .preferences import default_notification_preferences, default_privacy_settings


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Admin and `createsuperuser` sign in by email, case-insensitively.
        return self.get(email__iexact=username)

    def create_user(self, email: str, username: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(email=normalize_email(email), username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, username: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True, email_verified=True)
        return self.create_user(email, username, password, **extra)


def normalize_email(email: str) -> str:
    """Addresses are compared and stored lower-cased and trimmed."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(max_length=20)
    email = models.EmailField(max_length=255)
    email_verified = models.BooleanField(default=False)
    avatar = models.FileField(upload_to="avatars/", blank=True, default="")
    timezone = models.CharField(max_length=64, default="UTC")
    notification_preferences = models.JSONField(default=default_notification_preferences)
    privacy_settings = models.JSONField(default=default_privacy_settings)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    email_verification_token_hash = models.CharField(max_length=64, blank=True, default="")
    email_verification_expires_at = models.DateTimeField(null=True, blank=True)
    # The address the pending verification link was sent to: the link
    # verifies that address only, not one set after it was sent.
    email_verification_address = models.CharField(max_length=255, blank=True, default="")
    password_reset_token_hash = models.CharField(max_length=64, blank=True, default="")
    password_reset_expires_at = models.DateTimeField(null=True, blank=True)
    # Set by a moderator: the user cannot sign in (ACCOUNT_SUSPENDED) until it is lifted.
    suspended_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        db_table = "users"
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="users_username_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["email_verification_token_hash"], name="users_verify_hash_idx"),
            models.Index(fields=["password_reset_token_hash"], name="users_reset_hash_idx"),
        ]
        # The admin's actions on accounts (accounts.admin): each needs its own right.
        permissions = [
            ("deactivate_user", "Can deactivate accounts (ends their sessions)"),
            ("resend_verification_user", "Can resend verification emails"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def role(self) -> str:
        return "admin" if self.is_staff else "user"

    @property
    def rank(self) -> int:
        """Rights in the admin: superuser above staff above user. Nobody acts on an equal or higher rank."""
        return 2 if self.is_superuser else 1 if self.is_staff else 0


class Suspension(User):
    """Users as moderators see them in the admin: the name and the suspension, nothing private."""

    class Meta:
        proxy = True
        verbose_name = "user suspension"


class AuthSession(models.Model):
    """One refresh-token family: a login and every refresh rotated from it.

    The id is the ``sid`` claim of each token of the family. Only the refresh
    token whose ``jti`` is ``refresh_jti`` may rotate; the one before it gets
    the same successor again for a short while; an older one proves the
    family leaked and revokes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    refresh_jti = models.CharField(max_length=64)
    # The refresh token retired by the last rotation and when it was retired:
    # presented again within AUTH_REFRESH_REUSE_INTERVAL it gets the same new
    # pair back (a retry after a lost answer), later it proves a leak.
    previous_refresh_jti = models.CharField(max_length=64, blank=True, default="", db_default="")
    rotated_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "auth_sessions"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "revoked_at"], name="auth_sessions_user_idx"),
            models.Index(fields=["expires_at"], name="auth_sessions_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()
