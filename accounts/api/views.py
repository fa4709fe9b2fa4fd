"""HTTP endpoints of authentication and users.

Views validate the body, call one service and shape the answer; the rules
live in :mod:`accounts.services`.
"""

from typing import Any, cast

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.errors import (
    EmailAlreadyExists,
    InvalidCredentials,
    OneTimeTokenInvalid,
    TokenInvalid,
    TokenReused,
    UsernameAlreadyExists,
    WrongPassword,
)
from accounts.models import User
from accounts.tokens import Claims
from hucares.core.errors import ValidationFailed
from hucares.core.pagination import PageLimitPagination
from hucares.core.ratelimit import check_rate, client_ip
from hucares.core.responses import ApiResponse

from . import serializers as s
from .ratelimits import limit_failures


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
    """Endpoints used without a session; a stale Authorization header must not get in the way."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


# --- authentication --------------------------------------------------------------------------


class RegisterView(PublicAuthView):
    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=s.RegisterSerializer,
        responses={201: s.AuthResultSerializer},
    )
    @limit_failures("auth-register", (EmailAlreadyExists, UsernameAlreadyExists))
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.RegisterSerializer, request)
        user, pair = services.user_register(**data, client=client_of(request))
        return auth_result(request, user, pair, status=201)


class LoginView(PublicAuthView):
    @extend_schema(
        operation_id="auth_login", tags=["auth"], request=s.LoginSerializer, responses={200: s.AuthResultSerializer}
    )
    @limit_failures("auth-login", (InvalidCredentials,))
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
    @extend_schema(
        operation_id="auth_refresh", tags=["auth"], request=s.RefreshSerializer, responses={200: s.TokenPairSerializer}
    )
    @limit_failures("auth-refresh", (TokenInvalid, TokenReused))
    def post(self, request: Request) -> ApiResponse:
        data = validated(s.RefreshSerializer, request)
        pair = services.session_refresh(refresh_token=data["refresh_token"], client=client_of(request))
        return ApiResponse({"access_token": pair.access, "refresh_token": pair.refresh})


class LogoutView(APIView):
    @extend_schema(
        operation_id="auth_logout", tags=["auth"], request=s.LogoutSerializer, responses={200: s.MessageSerializer}
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
    @extend_schema(
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
        services.password_reset_request(email=data["email"])
        return message("Reset link sent")


class ResetPasswordView(PublicAuthView):
    @extend_schema(
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
    @extend_schema(
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
    @extend_schema(
        operation_id="auth_resend_verification", tags=["auth"], request=None, responses={200: s.MessageSerializer}
    )
    def post(self, request: Request) -> ApiResponse:
        user: User = request.user  # type: ignore[assignment]
        if user.email_verified:
            return message("Email already verified")
        services.email_verification_request(user=user)
        return message("Verification email sent")


class ChangePasswordView(APIView):
    @extend_schema(
        operation_id="auth_change_password",
        tags=["auth"],
        request=s.ChangePasswordSerializer,
        responses={200: s.TokenPairSerializer},
        description="Changes the password and ends every session; the answer carries a fresh token pair.",
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


# --- users -------------------------------------------------------------------------------------


class ProfileView(APIView):
    def _profile(self, request: Request, user: User) -> ApiResponse:
        return ApiResponse(s.UserProfileSerializer(user, context={"request": request}).data)

    @extend_schema(operation_id="users_profile_retrieve", tags=["users"], responses={200: s.UserProfileSerializer})
    def get(self, request: Request) -> ApiResponse:
        return self._profile(request, request.user)  # type: ignore[arg-type]

    def _update(self, request: Request) -> ApiResponse:
        changes = validated(s.ProfileUpdateSerializer, request)
        user = services.profile_update(user=request.user, **changes)  # type: ignore[arg-type]
        return self._profile(request, user)

    @extend_schema(
        operation_id="users_profile_update",
        tags=["users"],
        request=s.ProfileUpdateSerializer,
        responses={200: s.UserProfileSerializer},
        description="Same as PATCH: every field is optional and preferences merge onto the stored ones.",
    )
    def put(self, request: Request) -> ApiResponse:
        return self._update(request)

    @extend_schema(
        operation_id="users_profile_partial_update",
        tags=["users"],
        request=s.ProfileUpdateSerializer,
        responses={200: s.UserProfileSerializer},
    )
    def patch(self, request: Request) -> ApiResponse:
        return self._update(request)


class AccountView(APIView):
    @extend_schema(
        operation_id="users_account_delete", tags=["users"], request=s.DeleteAccountSerializer, responses={204: None}
    )
    @limit_failures("auth-password", (WrongPassword,))
    def delete(self, request: Request) -> ApiResponse:
        data = validated(s.DeleteAccountSerializer, request)
        services.account_delete(user=request.user, password=data["password"])  # type: ignore[arg-type]
        return ApiResponse(status=204)


class AvatarView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
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

    @extend_schema(
        operation_id="users_search",
        tags=["users"],
        parameters=[OpenApiParameter("q", str, required=True, description="Username prefix, at least 2 characters.")],
        responses={200: s.PublicUserSerializer(many=True)},
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
        data = s.PublicUserSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)
