"""Idempotency-Key (hucares.core.idempotency) end to end: real endpoints, PostgreSQL and threads."""

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from checkins.models import CheckIn
from groups.tests.factories import GroupFactory, MembershipFactory
from hucares.core.idempotency import idempotency_record, key_is_valid
from hucares.core.models import IdempotencyKey
from hucares.core.tasks import purge_idempotency_keys
from notifications.models import Notification
from realtime.tests.helpers import access_token
from streams.tests.helpers import events_named

SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}


def _client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _checkin(client: Client, group_id: Any, key: str, **extra: Any) -> Any:
    body = {"groupId": str(group_id), **SCORES, **extra}
    return client.post("/api/v1/checkins", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def member_and_friend(db: None) -> tuple[Any, Any, Any]:
    group = GroupFactory.create(member_count=2)
    me = MembershipFactory.create(group=group).user
    friend = MembershipFactory.create(group=group).user
    return group, me, friend


@pytest.mark.django_db(transaction=True)
def test_a_checkin_resent_three_times_twice_concurrently_is_one_row_one_fanout_one_answer(member_and_friend, published):
    group, me, friend = member_and_friend
    client = _client(access_token(me))
    barrier = threading.Barrier(2)
    answers: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait()
            response = _checkin(client, group.pk, "check-in-1")
            with lock:
                answers.append(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.append(_checkin(client, group.pk, "check-in-1"))

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.content for a in answers}) == 1
    assert sorted(str(a.headers.get("Idempotent-Replayed")) for a in answers[:2]) == ["None", "true"]
    assert answers[2].headers["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.filter(user=me, group=group).count() == 1
    assert Notification.objects.filter(user=friend).count() == 1
    fanout = events_named(published, "friend-checked-in")
    assert len(fanout) == 1


def test_same_key_with_a_different_body_is_422(member_and_friend):
    group, me, _ = member_and_friend
    client = _client(access_token(me))
    assert _checkin(client, group.pk, "k").status_code == 201
    response = _checkin(client, group.pk, "k", care=1)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    other_path = client.delete(f"/api/v1/checkins/{CheckIn.objects.get().pk}", HTTP_IDEMPOTENCY_KEY="k")
    assert other_path.status_code == 422


def test_keys_are_per_user(member_and_friend):
    group, me, friend = member_and_friend
    assert _checkin(_client(access_token(me)), group.pk, "shared").status_code == 201
    response = _checkin(_client(access_token(friend)), group.pk, "shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert CheckIn.objects.filter(group=group).count() == 2


def test_an_error_answer_is_replayed_but_a_server_error_is_not_stored(member_and_friend, monkeypatch):
    group, me, _ = member_and_friend
    client = _client(access_token(me))
    bad = _checkin(client, group.pk, "bad", care=99)
    assert bad.status_code == 400
    again = _checkin(client, group.pk, "bad", care=99)
    assert (again.status_code, again.content, again.headers["Idempotent-Replayed"]) == (400, bad.content, "true")

    def explode(**kwargs: Any) -> None:
        raise RuntimeError("database fell over")

    monkeypatch.setattr("checkins.services.checkin_submit", explode)
    broken = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {access_token(me)}")
    assert _checkin(broken, group.pk, "flaky").status_code == 500
    assert not IdempotencyKey.objects.filter(key="flaky").exists()
    monkeypatch.undo()
    assert _checkin(client, group.pk, "flaky").status_code == 201


def test_a_retry_while_the_first_runs_gets_409_after_the_wait(member_and_friend, settings):
    group, me, _ = member_and_friend
    settings.IDEMPOTENCY_WAIT = 0.1
    owner = f"user:{me.pk}"
    fingerprint_of_first = _fingerprint_of(lambda c: _checkin(c, group.pk, "busy"), me)
    IdempotencyKey.objects.create(owner=owner, key="busy", fingerprint=fingerprint_of_first)
    response = _checkin(_client(access_token(me)), group.pk, "busy")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert response.headers["Retry-After"] == "1"
    assert not CheckIn.objects.exists()


def _fingerprint_of(send: Callable[[Client], Any], user: Any) -> str:
    """The fingerprint the server stored for one request, which is then forgotten."""
    send(_client(access_token(user)))
    row = IdempotencyKey.objects.get()
    row.delete()
    CheckIn.objects.all().delete()
    return row.fingerprint


def test_an_abandoned_or_expired_key_is_taken_over(member_and_friend, settings):
    group, me, _ = member_and_friend
    old = timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_ABANDONED_AFTER + 1)
    row = IdempotencyKey.objects.create(owner=f"user:{me.pk}", key="dead", fingerprint="x")
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=old)
    assert _checkin(_client(access_token(me)), group.pk, "dead").status_code == 201


def test_a_login_with_a_key_is_not_replayed(db):
    user = UserFactory.create()
    body = {"email": user.email, "password": DEFAULT_PASSWORD}
    first, second = (
        Client().post("/api/v1/auth/login", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
        for _ in range(2)
    )
    assert first.status_code == second.status_code == 200
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["data"]["refreshToken"] != second.json()["data"]["refreshToken"]
    assert not IdempotencyKey.objects.exists()


def test_a_refresh_replayed_with_its_key_runs_reuse_detection(db, settings):
    user = UserFactory.create()
    body = {"email": user.email, "password": DEFAULT_PASSWORD}
    refresh_token = Client().post("/api/v1/auth/login", body, content_type="application/json").json()["data"]
    refresh_body = {"refreshToken": refresh_token["refreshToken"]}

    def send():
        return Client().post(
            "/api/v1/auth/refresh", refresh_body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r"
        )

    assert send().status_code == 200
    later = timezone.now() + datetime.timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL + 1)
    with time_machine.travel(later):
        replayed = send()
    assert replayed.status_code == 401
    assert replayed.json()["error"]["code"] == "TOKEN_REUSED"
    assert not IdempotencyKey.objects.exists()


def test_an_answer_carrying_tokens_is_never_stored(db):
    row = IdempotencyKey.objects.create(owner="ip:127.0.0.1", key="t", fingerprint="x")
    answer = HttpResponse(b'{"success":true,"data":{"accessToken":"eyJ..."}}', content_type="application/json")
    idempotency_record(row=row, response=answer)
    assert not IdempotencyKey.objects.exists()


def test_the_stored_fingerprint_is_keyed(member_and_friend, settings):
    group, me, _ = member_and_friend
    # The same request under another server key has another fingerprint: without the key, a reader of
    # the table cannot test guesses of a body against it.
    fingerprint = _fingerprint_of(lambda c: _checkin(c, group.pk, "keyed"), me)
    assert _fingerprint_of(lambda c: _checkin(c, group.pk, "keyed"), me) == fingerprint
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    assert _fingerprint_of(lambda c: _checkin(c, group.pk, "keyed"), me) != fingerprint


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey", "\u00e9t\u00e9"])
def test_what_a_key_may_be(key):
    assert not key_is_valid(key)
    assert key_is_valid("x" * 255)
    assert key_is_valid("a key with spaces ~!")


def test_a_malformed_key_is_a_validation_error(member_and_friend):
    group, me, _ = member_and_friend
    response = _checkin(_client(access_token(me)), group.pk, "x" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    assert not CheckIn.objects.exists()


def test_safe_requests_and_requests_without_a_key_are_untouched(member_and_friend):
    group, me, _ = member_and_friend
    client = _client(access_token(me))
    assert client.get("/api/v1/groups", HTTP_IDEMPOTENCY_KEY="g").status_code == 200
    body = {"groupId": str(group.pk), **SCORES}
    assert client.post("/api/v1/checkins", body, content_type="application/json").status_code == 201
    assert not IdempotencyKey.objects.exists()


def test_expired_keys_are_purged_by_the_periodic_task(member_and_friend, settings):
    _, me, _ = member_and_friend
    fresh = IdempotencyKey.objects.create(owner=f"user:{me.pk}", key="fresh", fingerprint="x")
    old = IdempotencyKey.objects.create(owner=f"user:{me.pk}", key="old", fingerprint="x")
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL + 1)
    )
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert "purge-idempotency-keys" in settings.CELERY_BEAT_SCHEDULE


def test_the_schema_documents_the_header_on_every_unsafe_operation(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            if path.startswith("/api/v1/auth/"):  # sign-in operations ignore it, and say so
                assert reference not in operation.get("parameters", []), (method, path)
                assert "Ignores `Idempotency-Key`" in operation["description"], (method, path)
            else:
                assert reference in operation["parameters"], (method, path)
    assert schema["components"]["parameters"]["IdempotencyKey"]["in"] == "header"


def test_a_body_over_the_limit_with_a_key_is_413(member_and_friend, settings):
    group, me, _ = member_and_friend
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = _checkin(_client(access_token(me)), group.pk, "big")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
