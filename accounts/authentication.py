from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication

from hucares.core.context import user_id_var


class SessionAwareJWTAuthentication(JWTAuthentication):
    """Bearer JWT authentication that records the user for the request's logs."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user, _token = result
            request._request.hucares_user = user  # type: ignore[attr-defined]
            user_id_var.set(str(user.pk))
        return result
