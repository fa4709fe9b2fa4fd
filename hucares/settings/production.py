"""Production: refuses to start with a forgeable key or DEBUG on; trusts the
TLS proxy's ``X-Forwarded-Proto``; adds HSTS and secure cookies.

TLS is terminated by nginx, which also redirects HTTP to HTTPS, so the app
itself serves plain HTTP on loopback: ``SECURE_SSL_REDIRECT`` stays off by
default and check W008 is silenced for that reason. Because nginx sets
``X-Forwarded-Proto`` (and overwrites any the client sent), the app knows a
request came over HTTPS: HSTS is sent and the admin's CSRF origin check
compares against ``https://<host>``.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, BASE_DIR, DEBUG, EMAIL_BACKEND, SECRET_KEY, SILENCED_SYSTEM_CHECKS, SIMPLE_JWT, env
from .keycheck import production_key_errors

# No fallback to SECRET_KEY here: one leaked key must not give both the
# admin's sessions and the API's tokens away, and rotating one must not
# rotate the other.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
JWT_PREVIOUS_SIGNING_KEY = env.str("JWT_PREVIOUS_SIGNING_KEY", default="")
_key_errors = production_key_errors(
    secret_key=SECRET_KEY,
    jwt_signing_key=JWT_SIGNING_KEY,
    previous_jwt_key=JWT_PREVIOUS_SIGNING_KEY,
    root=BASE_DIR,
)
if _key_errors:
    raise ImproperlyConfigured(" ".join(_key_errors))
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": JWT_SIGNING_KEY}
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be false in production.")
# Verification and reset mails printed to a log reach nobody: production
# needs a real EMAIL_URL, unless a machine says on purpose that it wants the
# console (make serve on a laptop).
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
if EMAIL_BACKEND == CONSOLE_EMAIL_BACKEND and not env.bool("ALLOW_CONSOLE_EMAIL", default=False):
    raise ImproperlyConfigured(
        "EMAIL_URL must name a mail server in production (e.g. smtp+tls://user:password@host:587); "
        "set ALLOW_CONSOLE_EMAIL=true to print mails to the log instead."
    )

# The shipped nginx sets X-Forwarded-Proto to its own $scheme; a deployment
# whose app port is reachable without that proxy turns this off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=True) else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading is a promise to browsers that is slow to take back: on by
# default (as before), off with SECURE_HSTS_PRELOAD=false.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The admin's forms post to https://<a served host>; other origins (a
# separate admin host, a non-default port) are added by CSRF_TRUSTED_ORIGINS.
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[f"https://{'*' if host.startswith('.') else ''}{host}" for host in ALLOWED_HOSTS if host != "*"],
)
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W008"]
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")
