"""Permissions other apps put on their endpoints."""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .errors import EmailNotVerified

if TYPE_CHECKING:
    from rest_framework.views import APIView


class VerifiedEmailRequired(BasePermission):
    """With ``REQUIRE_VERIFIED_EMAIL`` on, unverified users get 403 EMAIL_NOT_VERIFIED.

    Meant for write endpoints, next to ``IsAuthenticated``; reads stay open so
    an unverified user can still see why an action is refused.
    """

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not settings.REQUIRE_VERIFIED_EMAIL:
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            return True  # IsAuthenticated answers for anonymous callers
        if not getattr(user, "email_verified", False):
            raise EmailNotVerified()
        return True
