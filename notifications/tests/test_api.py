"""The notifications endpoints of the API: one's own only."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_list_is_newest_first_with_unread_count_and_pagination(user, user_client) -> None:
    now = timezone.now()
    old = NotificationFactory.create(user=user, created_at=now - timedelta(hours=2), is_read=True)
    new = NotificationFactory.create(user=user, created_at=now)
    NotificationFactory.create()  # someone else's
    response = user_client.get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [str(new.pk), str(old.pk)]
    assert body["meta"]["unreadCount"] == 1
    assert body["meta"]["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}
    assert set(body["data"][0]) == {
        "id",
        "type",
        "title",
        "message",
        "data",
        "isRead",
        "createdAt",
        "readAt",
        "expiresAt",
    }


def test_list_unread_only_and_limit(user, user_client) -> None:
    for _ in range(3):
        NotificationFactory.create(user=user)
    NotificationFactory.create(user=user, is_read=True)
    body = user_client.get("/api/v1/notifications?unread=true&limit=2").json()
    assert len(body["data"]) == 2
    assert all(item["isRead"] is False for item in body["data"])
    assert body["meta"]["pagination"]["total"] == 3
    assert body["meta"]["unreadCount"] == 3


def test_list_hides_expired_notifications(user, user_client) -> None:
    NotificationFactory.create(user=user, expires_at=timezone.now() - timedelta(seconds=1))
    assert user_client.get("/api/v1/notifications").json()["data"] == []


def test_data_keys_pass_through_as_stored(user, user_client) -> None:
    NotificationFactory.create(user=user, data={"groupId": "g", "group_name": "x"})
    assert user_client.get("/api/v1/notifications").json()["data"][0]["data"] == {"groupId": "g", "group_name": "x"}


def test_bad_unread_value_is_a_validation_error(user_client) -> None:
    response = user_client.get("/api/v1/notifications?unread=maybe")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "unread"


def test_mark_read_sets_read_at_once(user, user_client) -> None:
    notification = NotificationFactory.create(user=user)
    response = user_client.put(f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 200
    assert response.json()["data"]["isRead"] is True
    notification.refresh_from_db()
    first_read = notification.read_at
    assert first_read is not None
    user_client.put(f"/api/v1/notifications/{notification.pk}/read/")
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_read_all_reports_how_many_changed(user, user_client) -> None:
    NotificationFactory.create_batch(2, user=user)
    NotificationFactory.create(user=user, is_read=True)
    theirs = NotificationFactory.create()
    response = user_client.post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.json()["data"] == {"updated": 2}
    assert not Notification.objects.filter(user=user, is_read=False).exists()
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_delete_is_204_with_empty_body(user, user_client) -> None:
    notification = NotificationFactory.create(user=user)
    response = user_client.delete(f"/api/v1/notifications/{notification.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Notification.objects.filter(pk=notification.pk).exists()


@pytest.mark.parametrize("method", ["put-read", "delete"])
def test_someone_elses_or_unknown_notification_is_404(user_client, method) -> None:
    theirs = NotificationFactory.create()
    for notification_id in (theirs.pk, uuid.uuid4()):
        if method == "put-read":
            response = user_client.put(f"/api/v1/notifications/{notification_id}/read")
        else:
            response = user_client.delete(f"/api/v1/notifications/{notification_id}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_anonymous_is_401(api_client) -> None:
    response = api_client.get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_wrong_method_is_405(user_client) -> None:
    assert user_client.get("/api/v1/notifications/read-all").status_code == 405
