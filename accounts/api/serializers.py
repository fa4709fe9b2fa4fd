from typing import Any
from zoneinfo import available_timezones

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.preferences import WEEKDAYS, default_notification_preferences, default_privacy_settings
from accounts.serializers import avatar_url
from hucares.core.api import StrictIntegerField
from hucares.core.serializers import StrictSerializer

from .fields import StrictBooleanField, StrictCharField, StrictEmailField

PASSWORD_MAX_LENGTH = 128
TOKEN_MAX_LENGTH = 4096
PROFILE_VISIBILITY = ("public", "friends", "private")
SCORE_VISIBILITY = ("group", "private")
_TIMEZONES = frozenset(available_timezones())


# --- preferences ----------------------------------------------------------------------------
# Keys inside these blobs stay camelCase on the wire and in the database, so
# the field names below are camelCase too.


class StrictKeysSerializer(StrictSerializer):
    """A settings object: every key optional, unknown keys refused."""

    unknown_message = "Unknown setting."


class EmailPreferencesSerializer(StrictKeysSerializer):
    weeklyReminder = StrictBooleanField(required=False)
    groupInvitation = StrictBooleanField(required=False)


class NotificationPreferencesSerializer(StrictKeysSerializer):
    friendCheckIn = StrictBooleanField(required=False)
    groupInvitation = StrictBooleanField(required=False)
    memberJoined = StrictBooleanField(required=False)
    weeklyReminder = StrictBooleanField(required=False)
    reminderDay = serializers.ChoiceField(choices=WEEKDAYS, required=False)
    reminderHour = StrictIntegerField(min_value=0, max_value=23, required=False)
    email = EmailPreferencesSerializer(required=False)


class PrivacySettingsSerializer(StrictKeysSerializer):
    profile = serializers.ChoiceField(choices=PROFILE_VISIBILITY, required=False)
    scores = serializers.ChoiceField(choices=SCORE_VISIBILITY, required=False)


# --- the caller's own profile ----------------------------------------------------------------


class UserProfileSerializer(serializers.ModelSerializer[User]):
    """The caller's own account: never a password, hash or token."""

    avatar_url = serializers.SerializerMethodField()
    notification_preferences = serializers.SerializerMethodField()
    privacy_settings = serializers.SerializerMethodField()
    last_login_at = serializers.DateTimeField(source="last_login", allow_null=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "email_verified",
            "avatar_url",
            "timezone",
            "notification_preferences",
            "privacy_settings",
            "created_at",
            "last_login_at",
            "last_active_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user: User) -> str | None:
        return avatar_url(user, self.context.get("request"))

    @extend_schema_field(NotificationPreferencesSerializer)
    def get_notification_preferences(self, user: User) -> dict[str, Any]:
        stored = user.notification_preferences or {}
        defaults = default_notification_preferences()
        return {**defaults, **stored, "email": {**defaults["email"], **stored.get("email", {})}}

    @extend_schema_field(PrivacySettingsSerializer)
    def get_privacy_settings(self, user: User) -> dict[str, Any]:
        return {**default_privacy_settings(), **(user.privacy_settings or {})}


def validate_timezone(value: str) -> None:
    if value not in _TIMEZONES:
        raise serializers.ValidationError("Not a known IANA time zone.")


username_field_validators = [
    RegexValidator(r"^[A-Za-z0-9_]+$", "Only letters, digits and underscores are allowed."),
]


class ProfileUpdateSerializer(StrictSerializer):
    """Every field optional; preferences merge onto what is stored."""

    username = StrictCharField(min_length=3, max_length=20, validators=username_field_validators, required=False)
    email = StrictEmailField(max_length=255, required=False)
    timezone = StrictCharField(max_length=64, validators=[validate_timezone], required=False)
    notification_preferences = NotificationPreferencesSerializer(required=False)
    privacy_settings = PrivacySettingsSerializer(required=False)


# --- authentication ------------------------------------------------------------------------


def password_field(**kwargs: Any) -> StrictCharField:
    return StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, **kwargs)


def token_field() -> StrictCharField:
    return StrictCharField(max_length=TOKEN_MAX_LENGTH)


class RegisterSerializer(StrictSerializer):
    username = StrictCharField(min_length=3, max_length=20, validators=username_field_validators)
    email = StrictEmailField(max_length=255)
    password = password_field()


class LoginSerializer(StrictSerializer):
    email = StrictCharField(max_length=255, required=False, help_text="Email or username is required.")
    username = StrictCharField(max_length=255, required=False)
    password = password_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("username"):
            raise serializers.ValidationError({"email": ["Email or username is required."]})
        return attrs


class RefreshSerializer(StrictSerializer):
    refresh_token = token_field()


class LogoutSerializer(StrictSerializer):
    refresh_token = StrictCharField(max_length=TOKEN_MAX_LENGTH, required=False)
    all = StrictBooleanField(required=False, default=False)


class ForgotPasswordSerializer(StrictSerializer):
    email = StrictEmailField(max_length=255)


class ResetPasswordSerializer(StrictSerializer):
    token = token_field()
    new_password = password_field()


class VerifyEmailSerializer(StrictSerializer):
    token = token_field()


class ChangePasswordSerializer(StrictSerializer):
    current_password = password_field()
    new_password = password_field()


class DeleteAccountSerializer(StrictSerializer):
    password = password_field()


class AvatarUploadSerializer(StrictSerializer):
    avatar = serializers.FileField(allow_empty_file=False)


# --- response payloads (documentation and shape) -------------------------------------------


class TokenPairSerializer(serializers.Serializer[dict[str, Any]]):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()


class AuthResultSerializer(TokenPairSerializer):
    user = UserProfileSerializer()


class MessageSerializer(serializers.Serializer[dict[str, Any]]):
    message = serializers.CharField()


class AvatarResultSerializer(serializers.Serializer[dict[str, Any]]):
    avatar_url = serializers.URLField()


class AuthSessionSerializer(serializers.Serializer[Any]):
    """One signed-in device of the user (``GET /auth/sessions``)."""

    id = serializers.UUIDField()
    user_agent = serializers.CharField(help_text="The User-Agent of the device's last sign-in or refresh.")
    ip_address = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField(help_text="When the user signed in on this device.")
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="When the session ends unless refreshed.")
    ends_at = serializers.DateTimeField(help_text="The absolute end: no refresh keeps it alive past this.")
    current = serializers.BooleanField(help_text="Whether this is the session of the calling token.")
