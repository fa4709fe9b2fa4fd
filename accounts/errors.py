"""Domain errors of accounts and authentication."""

from hucares.core.errors import ApplicationError, ValidationFailed

# A malformed, expired or revoked JWT: every authenticated endpoint shares it, so it lives in core.
from hucares.core.errors import TokenInvalid as TokenInvalid


class TokenReused(ApplicationError):
    """A refresh token that was already rotated: its whole session is revoked."""

    code = "TOKEN_REUSED"
    status = 401
    message = "This refresh token was already used; the session has been revoked."


class OneTimeTokenInvalid(ApplicationError):
    """A verification or password-reset token that is unknown, used or expired."""

    code = "TOKEN_INVALID"
    status = 400
    message = "The link is invalid or has expired."


class InvalidCredentials(ApplicationError):
    code = "INVALID_CREDENTIALS"
    status = 401
    message = "Invalid email or password."


class EmailAlreadyExists(ApplicationError):
    code = "EMAIL_ALREADY_EXISTS"
    status = 409
    message = "An account with this email already exists."


class UsernameAlreadyExists(ApplicationError):
    code = "USERNAME_ALREADY_EXISTS"
    status = 409
    message = "This username is already taken."


class EmailNotVerified(ApplicationError):
    code = "EMAIL_NOT_VERIFIED"
    status = 403
    message = "Verify your email address first."


class WrongPassword(ValidationFailed):
    """The caller's current password did not match (a 400 on the field, never a 401)."""

    message = "The password is incorrect."
