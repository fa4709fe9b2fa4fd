"""``Idempotency-Key`` on every unsafe request (the IETF httpapi idempotency-key draft).

The first request with a key runs and its answer (status, body, a few
headers) is stored in PostgreSQL for ``IDEMPOTENCY_KEY_TTL``, so a client that
is unsure whether a write landed can send it again: the same key with the
same request gets the stored answer with ``Idempotent-Replayed: true`` and
nothing runs twice. The same key with a different request (method, path or
body) is ``IDEMPOTENCY_KEY_REUSED``. A retry that arrives while the first is
still running waits up to ``IDEMPOTENCY_WAIT`` seconds for its answer, then
gets ``IDEMPOTENCY_IN_PROGRESS``.

Keys belong to the authenticated user, or to the client's address on
anonymous endpoints, so one client can never replay another's answer.
Server errors (5xx), 401 and 429 are not stored: the same key may be retried.

No sign-in answer is ever stored: the ``/auth/`` operations ignore the header
(each request runs), since their answers carry tokens and a stored copy would
be a live session anyone reading the table could use, and a replayed refresh
would skip reuse detection. As a second line, an answer carrying a token is never
stored whatever the path. The stored fingerprint is an HMAC keyed with a key
derived from ``SECRET_KEY``: a plain hash of a body would let a reader of the
table test guesses of what was sent.
"""

import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .envelope import error_response
from .errors import ApplicationError, IdempotencyInProgress, IdempotencyKeyReused, PayloadTooLarge, ValidationFailed
from .middleware import BothModes
from .models import IdempotencyKey
from .ratelimit import client_ip

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answers a retry must not get back: the server failed, or the client may succeed later.
NOT_STORED = frozenset({401, 429})
# Response headers that belong to the answer and are replayed with it.
REPLAYED_HEADERS = ("Location", "Content-Disposition")
# Sign-in operations ignore the header: their answers carry tokens (docs/api.md, "Idempotency-Key").
IGNORED_PATH_PREFIX = "/api/v1/auth/"
# Field names of the envelope that hold tokens; an answer with one is never stored.
TOKEN_FIELDS = (b'"accessToken"', b'"refreshToken"')
_FINGERPRINT_SALT = "hucares.core.idempotency.fingerprint"


def key_is_valid(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(" " <= char <= "~" for char in key)


def request_owner(request: HttpRequest) -> str:
    """``user:<id>`` when the request's credentials authenticate, else ``ip:<client address>``.

    The authenticators are DRF's configured ones, run here because the view
    authenticates only after this middleware has to decide.
    """
    drf_request = Request(request)
    # DRF imports the configured class names; the stubs still type them as strings.
    authenticator_classes = cast(list[type[BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    for authenticator_class in authenticator_classes:
        try:
            result = authenticator_class().authenticate(drf_request)
        except APIException:
            break
        if result is not None:
            return f"user:{result[0].pk}"
    return f"ip:{client_ip(request)}"


def request_fingerprint(request: HttpRequest) -> str:
    """What makes two requests "the same": method, path with query string and body, as a keyed HMAC."""
    message = b"\0".join([(request.method or "").encode(), request.get_full_path().encode(), request.body])
    return salted_hmac(_FINGERPRINT_SALT, message, algorithm="sha256").hexdigest()


def _error(exc: ApplicationError) -> HttpResponse:
    response = error_response(exc.status, exc.code, exc.detail_message, exc.details)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def replay(row: IdempotencyKey) -> HttpResponse:
    assert row.status is not None
    response = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type or None)
    for name, value in row.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _create(owner: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(owner=owner, key=key, fingerprint=fingerprint)
    except IntegrityError:
        return None


def _is_stale(row: IdempotencyKey) -> bool:
    """Past its lifetime, or still "running" far longer than any request may (its process died)."""
    age = timezone.now() - row.created_at
    abandoned = row.status is None and age > timedelta(seconds=settings.IDEMPOTENCY_ABANDONED_AFTER)
    return age > timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL) or abandoned


def idempotency_claim(*, owner: str, key: str, fingerprint: str) -> IdempotencyKey | HttpResponse:
    """The new row when this request is the first with the key, else the response to send.

    A retry of a request still running polls its row until it has an answer
    or ``IDEMPOTENCY_WAIT`` has passed; the row, not a lock, is what it waits
    on, so the first request's connection is never held for it.
    """
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT
    pause = 0.02
    while True:
        created = _create(owner, key, fingerprint)
        if created is not None:
            return created
        row = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if row is None:
            continue  # the first request failed and gave its key back meanwhile
        if _is_stale(row):
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.fingerprint != fingerprint:
            return _error(IdempotencyKeyReused())
        if row.status is not None:
            return replay(row)
        if time.monotonic() >= deadline:
            return _error(IdempotencyInProgress(headers={"Retry-After": "1"}))
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def idempotency_record(*, row: IdempotencyKey, response: HttpResponseBase) -> None:
    """Store the answer for replays, or give the key back when it must not be replayed."""
    status = response.status_code
    if (
        status >= 500
        or status in NOT_STORED
        or not isinstance(response, HttpResponse)
        or any(field in response.content for field in TOKEN_FIELDS)
    ):
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=status,
        content_type=response.get("Content-Type", ""),
        body=response.content,
        headers=headers,
        completed_at=timezone.now(),
    )


def idempotency_keys_purge() -> int:
    """Delete keys past their lifetime; returns how many went."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def idempotency_begin(request: HttpRequest) -> IdempotencyKey | HttpResponse:
    """The claimed row of a request with a valid key (the view runs), or the answer to send instead."""
    key = request.headers[HEADER]
    if not key_is_valid(key):
        message = f"{HEADER} must be 1-255 printable ASCII characters."
        return _error(ValidationFailed.for_field(HEADER, message))
    try:
        fingerprint = request_fingerprint(request)
    except RequestDataTooBig:
        return _error(PayloadTooLarge())
    return idempotency_claim(owner=request_owner(request), key=key, fingerprint=fingerprint)


def _release(row: IdempotencyKey) -> None:
    """Give the key back: the request it was claimed for failed."""
    IdempotencyKey.objects.filter(pk=row.pk).delete()


def _applies(request: HttpRequest) -> bool:
    return (
        request.method in UNSAFE_METHODS
        and HEADER in request.headers
        and not request.path.startswith(IGNORED_PATH_PREFIX)
    )


class IdempotencyMiddleware(BothModes):
    """In the async chain the database work runs in Django's thread for the request, as a sync view does."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        if not _applies(request):
            return self.get_response(request)
        claimed = idempotency_begin(request)
        if isinstance(claimed, HttpResponse):
            return claimed
        try:
            response = self.get_response(request)
        except BaseException:
            _release(claimed)
            raise
        idempotency_record(row=claimed, response=response)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if not _applies(request):
            return await self.get_response(request)
        claimed = await sync_to_async(idempotency_begin)(request)
        if isinstance(claimed, HttpResponse):
            return claimed
        try:
            response = await self.get_response(request)
        except BaseException:
            await sync_to_async(_release)(claimed)
            raise
        await sync_to_async(idempotency_record)(row=claimed, response=response)
        return response
