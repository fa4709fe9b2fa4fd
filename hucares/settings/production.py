"""Production: refuses to start without a real secret, with DEBUG on, or
without the real services; adds HSTS and secure cookies.

TLS is terminated by nginx, which also redirects HTTP to HTTPS, so the app
itself serves plain HTTP on loopback: ``SECURE_SSL_REDIRECT`` stays off by
default and check W008 is silenced for that reason.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, INSECURE_DEFAULT_SECRET_KEY, SECRET_KEY, SILENCED_SYSTEM_CHECKS, SIMPLE_JWT, env

if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters in production.")
if SIMPLE_JWT["SIGNING_KEY"] == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must not be the embedded default in production.")
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be false in production.")

SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W008"]
