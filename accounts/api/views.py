"""HTTP endpoints of authentication and users.

Views validate the body, call one service and shape the answer; the rules
live in :mod:`accounts.services`.
"""

from typing import Any, cast
from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.errors import (
    AccountSuspended,
    EmailAlreadyExists,
    InvalidCredentials,
    OneTimeTokenInvalid,
    SessionExpired,
    TokenInvalid,
    TokenReused,
    UsernameAlreadyExists,
    WrongPassword,
)
from accounts.models import User
from accounts.serializers import PublicUserSerializer
from accounts.tokens import Claims
from hucares.core.apidoc import api_operation
from hucares.core.errors import NotFound, PayloadTooLarge, RateLimited, UnsupportedMediaType, ValidationFailed
from hucares.core.pagination import PageLimitPagination
from hucares.core.ratelimit import check_rate, client_ip
from hucares.core.responses import ApiResponse
from hucares.core.serializers import represent

from . import serializers as s
from .ratelimits import count_registration, limit_failures, login_account, reset_email_allowed

TOKENS = {"accessToken": "eyJhbGciOiJIUzI1NiIs...", "refreshToken": "eyJhbGciOiJIUzI1NiIs..."}
PROFILE_EXAMPLE = {
    "id": "0b6c7a52-3f0e-4a8e-9d4b-1f1f2c3d4e5f",
    "username": "ada",
    "email": "ada@example.com",
    "emailVerified": False,
    "avatarUrl": None,
    "timezone": "Europe/Berlin",
    "notificationPreferences": {
        "friendCheckIn": True,
        "groupInvitation": True,
        "memberJoined": True,
        "weeklyReminder": True,
        "reminderDay": "sunday",
        "reminderHour": 18,
        "email": {"weeklyReminder": True, "groupInvitation": True},
    },
    "privacySettings": {"profile": "friends", "scores": "group"},
    "createdAt": "2026-01-05T09:30:00Z",
    "lastLoginAt": "2026-01-05T09:30:00Z",
    "lastActiveAt": "2026-01-05T09:30:00Z",
}


def validated(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def client_of(request: Request) -> services.ClientInfo:
    return services.ClientInfo.of(client_ip(request), request.headers.get("User-Agent", ""))


def auth_result(request: Request, user: User, pair: services.TokenPair, status: int = 200) -> ApiResponse:
    profile = s.UserProfileSerializer(user, context={"request": request}).data
    return ApiResponse(
        {"user": profile, "access_token": pair.access, "refresh_token": pair.refresh},
        status=status,
    )


def message(text: str) -> ApiResponse:
    return ApiResponse({"message": text}, message=text)


class PublicAuthView(APIView):
    # Endpoints used without a session: a stale Authorization header must not get in the way.

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


# --- authentication --------------------------------------------------------------------------


class RegisterView(PublicAuthView):
    @api_operation(
        summary="Create an account",
        description="Creates an account and signs it in: the answer carries the profile and a token pair, "
        "as login does. A verification email is sent to the address; until it is verified, "
        "`emailVerified` is false (and, where the server requires it, creating or joining groups and "
        "checking in answer `EMAIL_NOT_VERIFIED`). Only conflicts count towards the auth rate limit; every "
        "registration counts towards the limit of its client's address block (an IPv4 /24, an IPv6 /64: "
        "`RATELIMIT_REGISTER_BLOCK`, 20 an hour).",
        access="Anyone (no token).",
        anonymous=True,
        errors=[EmailAlreadyExists, UsernameAlreadyExists],
        operation_id="auth_register",
        tags=["auth"],
        request=s.RegisterSerializer,
        responses={201: s.AuthResultSerializer},
        examples=[
            OpenApiExample(
                "Register",
                request_only=True,
                value={"username": "ada", "email": "ada@example.com", "password": "Correct-horse-42"},
            ),
            OpenApiExample(
                "Signed in", response_only=True, status_codes=["201"], value={"user": PROFILE_EXAMPLE, **TOKENS}
            ),
        ],
    )
    @limit_failures("auth-register", (EmailAlreadyExists, UsernameAlreadyExists))
    def post(self, request: Request) -> ApiResponse:
        count_registration(request)
        data = validated(s.RegisterSerializer, request)
        user, pair = services.user_register(**data, client=client_of(request))
        return auth_result(request, user, pair, status=201)


class LoginView(PublicAuthView):
    @api_operation(
        summary="Sign in",
        description="Signs in with an email (or, when no email is given, a username) and a password, and "
        "starts a new session: the access token authenticates requests "
        "(`Authorization: Bearer <accessToken>`), the refresh token gets the next pair from "
        "`POST /auth/refresh`. Only failed attempts count towards the auth rate limit.",
        access="Anyone (no token).",
        anonymous=True,
        errors=[InvalidCredentials, (AccountSuspended, "the password is right but a moderator suspended the account")],
        operation_id="auth_login",
        tags=["auth"],
        request=s.LoginSerializer,
        responses={200: s.AuthResultSerializer},
        examples=[
            OpenApiExample(
                "Login", request_only=True, value={"email": "ada@example.com", "password": "Correct-horse-42"}
            ),
            OpenApiExample("Signed in", response_only=True, value={"user": PROFILE_EXAMPLE, **TOKENS}),
        ],
    )
    @limit_failures("auth-login", (InvalidCredentials,), account_of=login_account)
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.LoginSerializer, request)
        user, pair = services.user_login(
            password=data["password"],
            email=data.get("email") or None,
            username=None if data.get("email") else data.get("username"),
            client=client_of(request),
        )
        return auth_result(request, user, pair)


class RefreshView(PublicAuthView):
    @api_operation(
        summary="Rotate the token pair",
        description="Trades the session's current refresh token for a new access and refresh token; the "
        "old refresh token stops working. Presenting a refresh token that was already rotated ends "
        "the whole session (`TOKEN_REUSED`): the client must sign in again. Two refreshes racing with "
        "one token count as a reuse, so refresh from one place at a time.",
        access="Anyone holding a refresh token (no access token needed).",
        anonymous=True,
        errors=[
            (TokenInvalid, "the refresh token is malformed, expired or its session was ended"),
            TokenReused,
            (SessionExpired, "the session reached its absolute lifetime (`AUTH_SESSION_MAX_AGE_DAYS`, 30 days)"),
        ],
        operation_id="auth_refresh",
        tags=["auth"],
        request=s.RefreshSerializer,
        responses={200: s.TokenPairSerializer},
        examples=[
            OpenApiExample("Refresh", request_only=True, value={"refreshToken": "eyJhbGciOiJIUzI1NiIs..."}),
            OpenApiExample("New pair", response_only=True, value=TOKENS),
        ],
    )
    @limit_failures("auth-refresh", (TokenInvalid, TokenReused))
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.RefreshSerializer, request)
        pair = services.session_refresh(refresh_token=data["refresh_token"], client=client_of(request))
        return ApiResponse({"access_token": pair.access, "refresh_token": pair.refresh})


class LogoutView(APIView):
    @api_operation(
        summary="Sign out",
        description="Ends the session of the access token used (its refresh token stops working and open "
        "WebSockets of the session are closed within 30 s). With `all: true` every session of the "
        "account ends.",
        access="Signed-in users.",
        operation_id="auth_logout",
        tags=["auth"],
        request=s.LogoutSerializer,
        responses={200: s.MessageSerializer},
    )
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.LogoutSerializer, request)
        services.session_logout(
            user=request.user,  # type: ignore[arg-type]
            claims=cast(Claims, request.auth),
            refresh_token=data.get("refresh_token"),
            everywhere=data["all"],
        )
        return message("Logged out successfully")


class ForgotPasswordView(PublicAuthView):
    @api_operation(
        summary="Ask for a password-reset email",
        description="Sends a reset link to the address if an account has it. The answer is the same "
        "whether or not it does, so it reveals no accounts; every request counts towards the auth "
        "rate limit. At most 3 reset emails go to one address per hour (`RATELIMIT_RESET_ADDRESS`), "
        "whoever asks; further requests get the same answer and send nothing.",
        access="Anyone (no token).",
        anonymous=True,
        operation_id="auth_forgot_password",
        tags=["auth"],
        request=s.ForgotPasswordSerializer,
        responses={200: s.MessageSerializer},
    )
    def post(self, request: Request) -> ApiResponse:
        # Every request counts: the answer never says whether it "failed",
        # and each one may send an email to somebody.
        check_rate(request._request, group="auth-forgot", rate=settings.RATELIMIT_AUTH, key=client_ip(request))
        data = validated(s.ForgotPasswordSerializer, request)
        if reset_email_allowed(request, data["email"]):
            services.password_reset_request(email=data["email"])
        return message("Reset link sent")


class ResetPasswordView(PublicAuthView):
    @api_operation(
        summary="Set a new password with a reset token",
        description="Sets the password with the token from the reset email (single use, time-limited) and "
        "ends every session of the account.",
        access="Anyone holding a reset token.",
        anonymous=True,
        errors=[(OneTimeTokenInvalid, "the token is unknown, used or expired")],
        operation_id="auth_reset_password",
        tags=["auth"],
        request=s.ResetPasswordSerializer,
        responses={200: s.MessageSerializer},
    )
    @limit_failures("auth-token", (OneTimeTokenInvalid,))
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.ResetPasswordSerializer, request)
        services.password_reset_confirm(token=data["token"], new_password=data["new_password"])
        return message("Password reset successful")


class VerifyEmailView(PublicAuthView):
    @api_operation(
        summary="Verify an email address",
        description="Marks the account's email as verified with the token from the verification email "
        "(single use, time-limited).",
        access="Anyone holding a verification token.",
        anonymous=True,
        errors=[(OneTimeTokenInvalid, "the token is unknown, used or expired")],
        operation_id="auth_verify_email",
        tags=["auth"],
        request=s.VerifyEmailSerializer,
        responses={200: s.MessageSerializer},
    )
    @limit_failures("auth-token", (OneTimeTokenInvalid,))
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.VerifyEmailSerializer, request)
        services.email_verify(token=data["token"])
        return message("Email verified")


class ResendVerificationView(APIView):
    @api_operation(
        summary="Send the verification email again",
        description="Sends a new verification link (the previous one stops working). When the email is "
        "already verified nothing is sent and the message says so. One email per address every "
        "`VERIFICATION_EMAIL_COOLDOWN_SECONDS` (300), whichever account asks; a change of address mails "
        "the new one at once.",
        access="Signed-in users.",
        errors=[(RateLimited, "a verification email went to this address within the cooldown")],
        operation_id="auth_resend_verification",
        tags=["auth"],
        request=None,
        responses={200: s.MessageSerializer},
    )
    def post(self, request: Request) -> ApiResponse:
        user: User = request.user  # type: ignore[assignment]
        if user.email_verified:
            return message("Email already verified")
        services.email_verification_resend(user=user)
        return message("Verification email sent")


class ChangePasswordView(APIView):
    @api_operation(
        summary="Change the password",
        description="Changes the password and ends every session of the account, this one included; the "
        "answer carries a fresh token pair so this client stays signed in. A wrong current password "
        "is a `VALIDATION_ERROR` on `currentPassword` (not a 401).",
        access="Signed-in users.",
        operation_id="auth_change_password",
        tags=["auth"],
        request=s.ChangePasswordSerializer,
        responses={200: s.TokenPairSerializer},
    )
    @limit_failures("auth-password", (WrongPassword,))
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.ChangePasswordSerializer, request)
        pair = services.password_change(
            user=request.user,  # type: ignore[arg-type]
            current_password=data["current_password"],
            new_password=data["new_password"],
            client=client_of(request),
        )
        return ApiResponse(
            {"access_token": pair.access, "refresh_token": pair.refresh}, message="Password changed successfully"
        )


class SessionListView(APIView):
    @api_operation(
        summary="List the signed-in devices",
        description="The sessions of this account that can still be used, most recently used first: the "
        "device's User-Agent and address (as of its last sign-in or refresh), when it signed in and was last "
        "used, when it ends unless refreshed (`expiresAt`) and at the latest (`endsAt`); `current` marks the "
        "caller's own session.",
        access="Signed-in users (their own sessions only).",
        operation_id="auth_sessions_list",
        tags=["auth"],
        responses={200: s.AuthSessionSerializer(many=True)},
    )
    def get(self, request: Request) -> ApiResponse:
        current = cast(Claims, request.auth)["sid"] if isinstance(request.auth, dict) else None
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.user_sessions(user=request.user), request, self)  # type: ignore[arg-type]
        rows = [
            {
                "id": session.pk,
                "user_agent": session.user_agent,
                "ip_address": session.ip_address,
                "created_at": session.created_at,
                "last_used_at": session.last_used_at,
                "expires_at": session.expires_at,
                "ends_at": services.session_end_of(session.created_at),
                "current": str(session.pk) == current,
            }
            for session in page
        ]
        return paginator.get_paginated_response(s.AuthSessionSerializer(rows, many=True).data)


class SessionDetailView(APIView):
    @api_operation(
        summary="Sign a device out",
        description="Ends one session at once: its refresh token and every access token of it stop working "
        "on their next use. Ending the caller's own session signs the caller out.",
        access="Signed-in users (their own sessions only).",
        errors=[(NotFound, "no live session of the caller has that id")],
        operation_id="auth_sessions_revoke",
        tags=["auth"],
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, session_id: UUID) -> ApiResponse:
        services.session_revoke(user=request.user, session_id=session_id)  # type: ignore[arg-type]
        return ApiResponse(status=204)


# --- users -------------------------------------------------------------------------------------


class ProfileView(APIView):
    def _profile(self, request: Request, user: User) -> ApiResponse:
        # The serializer's fields are built once per process (represent); the avatar's
        # absolute URL is the only part that needs this request.
        profile = represent(s.UserProfileSerializer, user)
        profile["avatar_url"] = s.avatar_url(user, request)
        return ApiResponse(profile)

    @api_operation(
        summary="Read my profile",
        description="The caller's own profile, with notification preferences and privacy settings.",
        access="Signed-in users.",
        operation_id="users_profile_retrieve",
        tags=["users"],
        responses={200: s.UserProfileSerializer},
    )
    def get(self, request: Request) -> ApiResponse:
        return self._profile(request, request.user)  # type: ignore[arg-type]

    def _update(self, request: Request) -> ApiResponse:
        changes = validated(s.ProfileUpdateSerializer, request)
        user = services.profile_update(user=request.user, **changes)  # type: ignore[arg-type]
        return self._profile(request, user)

    @api_operation(
        summary="Update my profile (same as PATCH)",
        description="Same as PATCH: every field is optional and preferences merge onto the stored ones.",
        access="Signed-in users.",
        errors=[EmailAlreadyExists, UsernameAlreadyExists],
        operation_id="users_profile_update",
        tags=["users"],
        request=s.ProfileUpdateSerializer,
        responses={200: s.UserProfileSerializer},
    )
    def put(self, request: Request) -> ApiResponse:
        return self._update(request)

    @api_operation(
        summary="Update my profile",
        description="Changes only the fields given. `notificationPreferences` and `privacySettings` merge "
        "onto the stored ones (the nested `email` object too); unknown keys and wrong JSON types are "
        "rejected. `privacySettings.profile` `private` removes the user from search. A new email "
        "address must be verified again.",
        access="Signed-in users.",
        errors=[EmailAlreadyExists, UsernameAlreadyExists],
        operation_id="users_profile_partial_update",
        tags=["users"],
        request=s.ProfileUpdateSerializer,
        responses={200: s.UserProfileSerializer},
        examples=[
            OpenApiExample(
                "Change timezone and reminders",
                request_only=True,
                value={"timezone": "Europe/Berlin", "notificationPreferences": {"reminderDay": "sunday"}},
            )
        ],
    )
    def patch(self, request: Request) -> ApiResponse:
        return self._update(request)


class AccountView(APIView):
    @api_operation(
        summary="Delete my account",
        description="Deletes the account and everything it owns after checking the password; every session "
        "ends. A wrong password is a `VALIDATION_ERROR` on `password`.",
        access="Signed-in users.",
        operation_id="users_account_delete",
        tags=["users"],
        request=s.DeleteAccountSerializer,
        responses={204: None},
    )
    @limit_failures("auth-password", (WrongPassword,))
    def delete(self, request: Request) -> ApiResponse:
        data = validated(s.DeleteAccountSerializer, request)
        services.account_delete(user=request.user, password=data["password"])  # type: ignore[arg-type]
        return ApiResponse(status=204)


class AvatarView(APIView):
    parser_classes = [MultiPartParser]

    @api_operation(
        summary="Upload my avatar",
        description="The one endpoint that takes `multipart/form-data`: the image in the `avatar` part. "
        "PNG, JPEG or WebP, at most 2 MB and 4096 x 4096 pixels; it is centre-cropped to a square of at "
        "most 256 px and stored as WebP without metadata. The old avatar is deleted.",
        access="Signed-in users.",
        errors=[
            (ValidationFailed, "no `avatar` part, or it is not a PNG, JPEG or WebP image"),
            (PayloadTooLarge, "the image is over 2 MB"),
            (UnsupportedMediaType, "the body is not `multipart/form-data`"),
        ],
        operation_id="users_avatar_upload",
        tags=["users"],
        request={"multipart/form-data": s.AvatarUploadSerializer},
        responses={200: s.AvatarResultSerializer},
    )
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.AvatarUploadSerializer, request)
        user = services.avatar_set(user=request.user, upload=data["avatar"])  # type: ignore[arg-type]
        return ApiResponse({"avatar_url": s.avatar_url(user, request)})


class SearchPagination(PageLimitPagination):
    """At most 20 results per page, whatever ``limit`` asks for."""

    max_limit = selectors.SEARCH_MAX_RESULTS


class UserSearchView(APIView):
    pagination_class = SearchPagination

    @api_operation(
        summary="Search users by username",
        description="Users whose username starts with `q` (case-insensitive), public fields only, at most "
        "20 per page. Users with a private profile are never found.",
        access="Signed-in users.",
        errors=[(ValidationFailed, "`q` is missing, shorter than 2 or longer than 20 characters")],
        operation_id="users_search",
        tags=["users"],
        parameters=[OpenApiParameter("q", str, required=True, description="Username prefix, 2 to 20 characters.")],
        responses={200: PublicUserSerializer(many=True)},
    )
    def get(self, request: Request) -> ApiResponse:
        query = request.query_params.get("q", "").strip()
        if len(query) < selectors.SEARCH_MIN_LENGTH:
            raise ValidationFailed.for_field("q", "Search needs at least 2 characters.")
        if len(query) > 20:
            raise ValidationFailed.for_field("q", "Usernames have at most 20 characters.")
        if "\x00" in query:
            raise ValidationFailed.for_field("q", "Null characters are not allowed.")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.user_search(query=query, viewer=request.user), request, self)  # type: ignore[arg-type]
        data = PublicUserSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)
