from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import AuthSession, Suspension, User


def outranked(model_admin: "admin.ModelAdmin[Any]", request: HttpRequest, queryset: QuerySet[Any]) -> list[Any]:
    """The selected accounts the acting admin outranks; the others are named in a warning and left alone.

    Superuser above staff above user: nobody acts on an account with equal
    or higher rights (their own included).
    """
    actor = request.user
    assert isinstance(actor, User)
    selected = list(queryset)
    allowed = [user for user in selected if actor.rank > user.rank]
    refused = [user.username for user in selected if actor.rank <= user.rank]
    if refused:
        names = ", ".join(sorted(refused))
        model_admin.message_user(request, f"Left alone (equal or higher rights): {names}.", messages.WARNING)
    return allowed


class AccountCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username")


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts for staff: the password hash is never listed, only the change-password form."""

    form = AccountChangeForm
    add_form = AccountCreationForm

    ordering = ["username"]
    list_display = [
        "username",
        "email",
        "email_verified",
        "is_active",
        "suspended_at",
        "is_staff",
        "created_at",
        "last_active_at",
    ]
    list_filter = ["email_verified", "is_active", ("suspended_at", admin.EmptyFieldListFilter), "is_staff"]
    search_fields = ["username", "email"]
    # Suspending goes through the suspension list's actions (sessions end with it).
    readonly_fields = ["id", "suspended_at", "created_at", "updated_at", "last_login", "last_active_at"]
    fieldsets = (
        (None, {"fields": ("id", "email", "username", "password")}),
        (
            "Profile",
            {"fields": ("email_verified", "avatar", "timezone", "notification_preferences", "privacy_settings")},
        ),
        ("Access", {"fields": ("is_active", "suspended_at", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Activity", {"fields": ("created_at", "updated_at", "last_login", "last_active_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)
    actions = ["deactivate", "resend_verification"]

    def has_deactivate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.deactivate_user")

    def has_resend_verification_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.resend_verification_user")

    @admin.action(description="Deactivate selected users and end their sessions", permissions=["deactivate"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = outranked(self, request, queryset.filter(is_active=True))
        for user in users:
            services.user_deactivate(user=user)
            self.log_change(request, user, "Deactivated the user and ended their sessions.")
        self.message_user(request, f"Deactivated {len(users)} user(s).", messages.SUCCESS)

    @admin.action(description="Resend the verification email", permissions=["resend_verification"])
    def resend_verification(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = outranked(self, request, queryset.filter(is_active=True, email_verified=False))
        for user in users:
            services.email_verification_request(user=user)
            self.log_change(request, user, "Queued a verification email.")
        self.message_user(request, f"Queued {len(users)} verification email(s).", messages.SUCCESS)


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "created_at", "last_used_at", "expires_at", "revoked_at", "ip_address"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "user__email", "ip_address"]
    readonly_fields = [f.name for f in AuthSession._meta.fields]
    raw_id_fields = ["user"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Suspension)
class SuspensionAdmin(admin.ModelAdmin):
    """Where moderators suspend users and lift suspensions: usernames and suspension state only."""

    list_display = ["username", "suspended_at", "created_at"]
    list_filter = [("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["username"]
    fields = ("id", "username", "suspended_at", "created_at", "last_active_at")
    readonly_fields = fields
    ordering = ["username"]
    actions = ["suspend", "lift_suspension"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description="Suspend selected users (sign them out everywhere, refuse sign-in)", permissions=["change"]
    )
    def suspend(self, request: HttpRequest, queryset: QuerySet[Suspension]) -> None:
        suspended = [user for user in outranked(self, request, queryset) if services.user_suspend(user=user)]
        for user in suspended:
            self.log_change(request, user, "Suspended the user and ended their sessions.")
        self.message_user(request, f"Suspended {len(suspended)} user(s).", messages.SUCCESS)

    @admin.action(description="Lift the suspension of selected users", permissions=["change"])
    def lift_suspension(self, request: HttpRequest, queryset: QuerySet[Suspension]) -> None:
        lifted = [user for user in outranked(self, request, queryset) if services.user_unsuspend(user=user)]
        for user in lifted:
            self.log_change(request, user, "Lifted the suspension.")
        self.message_user(request, f"Lifted {len(lifted)} suspension(s).", messages.SUCCESS)
