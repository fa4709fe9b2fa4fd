"""Bearer authentication for the API: access JWT plus session revocation."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from hucares.core.context import user_id_var

from .errors import TokenInvalid
from .models import User
from .tokens import Claims, check_access_token, touch_activity


class SessionAwareJWTAuthentication(BaseAuthentication):
    """``Authorization: Bearer <access token>``.

    Revocation is checked in the cache (one round trip, no query); the user
    row is loaded once. ``request.auth`` is the token's claims.
    """

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, Claims] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("The Authorization header must be 'Bearer <token>'.")
        try:
            check = check_access_token(parts[1].decode("latin-1"))
        except TokenInvalid as exc:
            raise AuthenticationFailed(exc.detail_message) from exc
        if not check.recently_active:
            touch_activity(check.user)
        # The access log and log lines of this request name the user.
        request._request.hucares_user = check.user  # type: ignore[attr-defined]
        user_id_var.set(str(check.user.pk))
        return check.user, check.claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class SessionAwareJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionAwareJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
