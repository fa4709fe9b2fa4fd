"""Ceilings for the benchmarks: minimal DRF views beside the real ones.

A WSGI application of its own (no HuCares app, no middleware, no
authentication), served by the same layout as the real one: gunicorn with
``docker/gunicorn.conf.py`` behind nginx, through ``scripts/serve.sh``::

    WSGI_APP=bench.ceiling:application DATABASE_URL=postgres://... scripts/serve.sh

- ``POST /insert`` with ``{"value": <int>}`` inserts one row into
  ``bench_ceiling`` (created on start) and answers 201 with its id: the
  ceiling of ``bench/api.py``'s check-in submission.
- ``POST /verify`` with ``{"password": <str>}`` verifies it against one
  Argon2id hash with the app's parameters (``accounts.hashers``: 19 MiB, 2
  passes, 1 lane) and answers 200 or 401: the ceiling of ``bench/auth.py``'s
  login, which adds the user query, the session row and two JWTs.
- ``GET /read`` with ``Authorization: Bearer <access JWT>`` (simplejwt's
  stateless authentication: signature and expiry, no query) reads one row of
  ``bench_ceiling`` and answers it: the floor of an authenticated read, which
  ``bench/mix_cpu.py`` puts each class of the load test's mix against.
  ``read_token()`` makes a token it accepts.
"""

from typing import Any

import django
import environ
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from django.conf import settings

env = environ.Env()
database = env.db("DATABASE_URL")
database["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 4}}
settings.configure(
    DEBUG=False,
    SECRET_KEY="ceiling-benchmark-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": database},
    # The auth apps only because simplejwt's authentication looks the user model up.
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    MIDDLEWARE=[],
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    },
    SIMPLE_JWT={"SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="ceiling-benchmark-only"), "ALGORITHM": "HS256"},
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after settings
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402


class InsertView(APIView):
    def post(self, request: Request) -> Response:
        value = request.data.get("value", 0) if isinstance(request.data, dict) else 0
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_ceiling (value) VALUES (%s) RETURNING id", [int(value)])
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)


# The app's parameters (accounts/hashers.py), and the benchmark's password.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
PASSWORD_HASH = HASHER.hash("Bench-Mark-2024")


class VerifyView(APIView):
    def post(self, request: Request) -> Response:
        password = request.data.get("password", "") if isinstance(request.data, dict) else ""
        try:
            HASHER.verify(PASSWORD_HASH, str(password))
        except VerificationError:
            return Response({"ok": False}, status=401)
        return Response({"ok": True})


class ReadView(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    def get(self, request: Request) -> Response:
        if not request.user or not request.user.is_authenticated:
            return Response({"ok": False}, status=401)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, value FROM bench_ceiling ORDER BY id LIMIT 1")
            row = cursor.fetchone()
        return Response({"id": row[0], "value": row[1]} if row else {})


def read_token() -> str:
    """An access token ``GET /read`` accepts."""
    token = AccessToken()
    token["user_id"] = 1
    return str(token)


urlpatterns: list[Any] = [
    path("insert", InsertView.as_view()),
    path("verify", VerifyView.as_view()),
    path("read", ReadView.as_view()),
]

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial PRIMARY KEY, value integer NOT NULL)")
    cursor.execute("INSERT INTO bench_ceiling (value) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM bench_ceiling)")
connection.close()

application = get_wsgi_application()
